// A small C++ workload for perfscript's option tests: samples land in mangled
// functions (a namespace, a template, an operator), called through frame pointers.
#include <cstdio>
#include <vector>

namespace ps {
template <typename T> struct Acc {
    T v = 0;
    __attribute__((noinline)) void add(T x) {
        for (int i = 0; i < 2000; i++) v = v * 31 + x + i;
    }
    __attribute__((noinline)) Acc &operator+=(T x) { add(x); add(x + 1); return *this; }
};

__attribute__((noinline)) long spin(long n) {
    volatile long s = 0;
    for (long i = 0; i < n; i++) s = s + i * i;
    return s;
}
}  // namespace ps

int main() {
    ps::Acc<long> a;
    std::vector<long> xs(3000, 7);
    for (long x : xs) a += x;
    long s = ps::spin(6000000);
    std::printf("%ld %ld\n", a.v, s);
    return 0;
}
