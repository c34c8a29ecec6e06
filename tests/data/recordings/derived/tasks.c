/* a workload for the threads/processes/stacks tables: two threads spin, one renames
   itself, the process forks a child that execs true, and a child that just exits */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;

static void __attribute__((noinline)) spin_inner(int n)
{
	for (int i = 0; i < n; i++)
		sink += i;
}

static void __attribute__((noinline)) spin(int n)
{
	for (int k = 0; k < 100; k++)
		spin_inner(n);
}

static void *worker(void *arg)
{
	if (arg)
		prctl(PR_SET_NAME, "renamed-worker");
	spin(200000);
	return NULL;
}

int main(void)
{
	pthread_t a, b;
	pthread_create(&a, NULL, worker, NULL);
	pthread_create(&b, NULL, worker, (void *)1);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	if (fork() == 0) {
		execlp("true", "true", (char *)NULL);
		_exit(1);
	}
	if (fork() == 0) {
		spin(100000);
		_exit(0);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
