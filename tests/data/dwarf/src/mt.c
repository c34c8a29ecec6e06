/* Three threads and main, libc-heavy (malloc/free, snprintf, strlen), without frame
   pointers: thread stacks end in clone3/start_thread, main's in __libc_start_main. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile long sink;

__attribute__((noinline)) static long format(int i)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%d %f %s %x", i, i * 1.5, "text", i);
	return (long)strlen(buf);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	for (int r = 0; r < 4000; r++) {
		char *p = malloc(100 + (r + id) % 900);
		memset(p, r, 100);
		sink += p[3] + format(r);
		free(p);
	}
	return 0;
}

int main(void)
{
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], 0, worker, (void *)i);
	for (int i = 0; i < 20000; i++)
		sink += format(i);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], 0);
	printf("%ld\n", sink);
	return 0;
}
