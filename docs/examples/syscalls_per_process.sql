SELECT sample_comm AS comm, common_pid AS pid, id AS nr, count(*) AS n
FROM raw_syscalls__sys_enter
GROUP BY ALL
ORDER BY n DESC, comm, pid, nr
