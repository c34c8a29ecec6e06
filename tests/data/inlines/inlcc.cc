// perfscript's C++ inline-frames test: mangled linkage names, methods, templates.
#include <cstdio>
#include <vector>

namespace shapes {
struct Box {
	double w, h;
	inline double area() const { return w * h; }
	double scaled(double k) const;
};

__attribute__((noinline)) double Box::scaled(double k) const
{
	return area() * k;
}

template <typename T> inline T clampit(T v, T lo, T hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}
}

static volatile double sink;

__attribute__((noinline)) double total(const std::vector<shapes::Box> &v)
{
	double s = 0;
	for (const auto &b : v)
		s += shapes::clampit(b.area(), 1.0, 50.0) + b.scaled(0.5);
	return s;
}

int main()
{
	std::vector<shapes::Box> v;
	for (int i = 0; i < 1000; i++)
		v.push_back({i * 0.1, i * 0.2});
	for (int r = 0; r < 200; r++)
		sink += total(v);
	std::printf("%f\n", sink);
	return 0;
}
