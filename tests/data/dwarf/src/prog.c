/* A C program without frame pointers for --call-graph dwarf tests: recursion, a libc
   callback (qsort -> cmp), calls through the PLT (rand) and a SIGPROF handler that runs
   on top of whatever it interrupted (signal frames). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

static volatile double sink;

__attribute__((noinline)) static double leaf(int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += i * 0.5;
	return s;
}

__attribute__((noinline)) static double walk(int depth, int n)
{
	if (depth == 0)
		return leaf(n);
	return walk(depth - 1, n) + 1;
}

static int cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

__attribute__((noinline)) static void on_prof(int sig)
{
	sink += leaf(1000000 + sig);
}

/* 12 KB of locals: frames above this one are past the end of a 4 KB stack copy */
__attribute__((noinline)) static void sort_round(void)
{
	int a[3000];
	for (int i = 0; i < 3000; i++)
		a[i] = rand();
	qsort(a, 3000, sizeof(int), cmp);
	sink += a[17];
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 60;
	struct itimerval it = {{0, 1000}, {0, 1000}};
	signal(SIGPROF, on_prof);
	setitimer(ITIMER_PROF, &it, 0);
	for (int r = 0; r < rounds; r++) {
		sink += walk(r % 7, 60000);
		sort_round();
	}
	printf("%f\n", sink);
	return 0;
}
