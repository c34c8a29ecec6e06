/* perfscript test workload: no libc, so every user sample is in this file. */
static inline long sq(long x)
{
	return x * x;
}

__attribute__((noinline)) long work(long n)
{
	long s = 0;

	for (long i = 0; i < n; i++) {
		if (i & 1)
			s += sq(i) % 7;
		else
			s -= i % 5;
	}
	return s;
}

__attribute__((noinline)) long outer(long n)
{
	return work(n) * 3 + 1;
}

static void leave(long code)
{
	__asm__ volatile ("syscall" : : "a"(60), "D"(code) : "rcx", "r11", "memory");
	__builtin_unreachable();
}

void _start(void)
{
	leave(outer(40000000) & 1);
}
