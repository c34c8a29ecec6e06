#include <regex>
#include <map>
#include <unordered_map>
#include <vector>
#include <string>
#include <algorithm>
#include <iostream>
#include <sstream>
#include <functional>
#include <memory>
template <int N> struct T { std::map<std::string, std::vector<int>> m; int f(const std::string &s) { std::regex r(s); return (int)std::regex_search(s, r) + T<N - 1>().f(s); } };
template <> struct T<0> { int f(const std::string &) { return 0; } };
int main(int argc, char **argv) { std::ostringstream o; o << T<60>().f(argv[0]); std::cout << o.str(); }
