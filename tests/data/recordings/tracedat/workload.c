/* A short workload for the trace.dat recordings of tests/test_tracedat_scripts.py:
 * syscalls that fail (ENOENT, EBADF), two threads contending a mutex (futex waits
 * and wakes), and UDP datagrams over loopback (the network stack's tracepoints), the last one
 * to a closed port (dropped: skb:kfree_skb). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *contender(void *arg)
{
	for (int i = 0; i < 5; i++) {
		pthread_mutex_lock(&lock);
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);		/* hold it: the other thread waits */
		pthread_mutex_unlock(&lock);
		sched_yield();
	}
	return arg;
}

int main(void)
{
	char go;
	if (read(0, &go, 1) != 1)	/* started once the recorders are ready */
		return 1;
	for (int i = 0; i < 3; i++) {
		open("/nonexistent/perfscript", O_RDONLY);
		close(-1);
	}
	pthread_t a, b;
	pthread_create(&a, NULL, contender, NULL);
	pthread_create(&b, NULL, contender, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);

	int rx = socket(AF_INET, SOCK_DGRAM, 0), tx = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(addr);
	bind(rx, (struct sockaddr *)&addr, sizeof(addr));
	getsockname(rx, (struct sockaddr *)&addr, &len);
	char buf[64];
	for (int i = 0; i < 3; i++) {
		sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr, sizeof(addr));
		recv(rx, buf, sizeof(buf), 0);
	}
	close(rx);
	sendto(tx, "ping", 4, 0, (struct sockaddr *)&addr, sizeof(addr));	/* no one listens */
	close(tx);
	return 0;
}
