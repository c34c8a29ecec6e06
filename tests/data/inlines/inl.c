/* perfscript's inline-frames test program: nested inlined functions, an inlined
   function appearing twice in one chain, qsort (libc's msort is inlined there) and
   dlsym (ld.so's symbol lookup inlines do_lookup_x). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static volatile double sink;

static inline double square(double x)
{
	return x * x;
}

static inline double poly(int i)
{
	return square(i * 0.5) + square(i * 0.25) * 3.0;
}

static inline double twice(int i)
{
	return poly(i) + poly(i + 1);
}

__attribute__((noinline)) double work(int n)
{
	double s = 0;
	for (int i = 0; i < n; i++)
		s += twice(i) / (1.0 + (i & 7));
	return s;
}

static inline int fold(int x)
{
	return x < 0 ? -x : x;
}

static int cmp(const void *a, const void *b)
{
	return fold(*(const int *)a) - fold(*(const int *)b);
}

__attribute__((noinline)) void sortit(int *a, int n)
{
	qsort(a, n, sizeof(*a), cmp);
}

__attribute__((noinline)) long lookups(int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += (long)dlsym(RTLD_DEFAULT, i & 1 ? "printf" : "qsort");
	return s;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	static int a[4000];
	for (int r = 0; r < rounds; r++) {
		sink += work(200000);
		for (int i = 0; i < 4000; i++)
			a[i] = rand() - RAND_MAX / 2;
		sortit(a, 4000);
		sink += lookups(3000);
	}
	printf("%f\n", sink);
	return 0;
}
