WITH ev AS (
    SELECT pid AS task, sample_seq AS seq, sample_time AS time, 0 AS kind, NULL AS comm
    FROM sched__sched_wakeup
    UNION ALL
    SELECT next_pid, sample_seq, sample_time, 1, next_comm FROM sched__sched_switch
), paired AS (
    SELECT *, lag(kind) OVER w AS prev_kind, lag(time) OVER w AS prev_time
    FROM ev WINDOW w AS (PARTITION BY task ORDER BY seq)
)
SELECT comm, task AS pid, count(*) AS n, sum(time - prev_time) AS total_ns,
       max(time - prev_time) AS max_ns
FROM paired
WHERE kind = 1 AND prev_kind = 0
GROUP BY ALL
ORDER BY total_ns DESC, comm, pid
