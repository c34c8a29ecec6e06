/* Workload for derived_syscalls/edge.data: the system calls that do not simply
 * return once.  Build: gcc -O2 -pthread -o edge edge.c */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int sig) { (void)sig; }

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* a second thread: a failing open and a short sleep */
static void *worker(void *arg)
{
    (void)arg;
    open("/nonexistent", O_RDONLY);
    nap_ms(1);
    return NULL;
}

/* a non-leader thread that execs while the leader is blocked in read(): the
 * leader dies in its read (no exit event) and execve returns on the leader's tid */
static void *execer(void *arg)
{
    char *argv[] = { "/bin/true", NULL };
    (void)arg;
    nap_ms(20);
    execv(argv[0], argv);
    return NULL;
}

int main(void)
{
    struct sigaction sa;
    struct itimerval it = { { 0, 0 }, { 0, 10000 } };
    pthread_t t;
    int fds[2];
    char c;
    pid_t child;

    /* a sleep cut short by a handled signal: EINTR, then rt_sigreturn */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    setitimer(ITIMER_REAL, &it, NULL);
    nap_ms(1000);

    /* a child stopped and continued in its sleep: the kernel restarts the sleep
     * through restart_syscall */
    child = fork();
    if (child == 0) {
        nap_ms(100);
        _exit(0);
    }
    nap_ms(20);
    kill(child, SIGSTOP);
    nap_ms(10);
    kill(child, SIGCONT);
    waitpid(child, NULL, 0);

    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);

    if (pipe(fds) != 0)
        return 1;
    pthread_create(&t, NULL, execer, NULL);
    read(fds[0], &c, 1);
    return 0;
}
