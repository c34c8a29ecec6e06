SELECT printf('%#x', call_site) AS call_site, count(*) AS n, sum(bytes_req) AS bytes
FROM kmem__kmalloc
GROUP BY kmem__kmalloc.call_site
ORDER BY bytes DESC, kmem__kmalloc.call_site
LIMIT 10
