// Small helpers shared by the engine files.
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

inline double now_ms() {
    using namespace std::chrono;
    return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

// write to a temp file in the same folder, then rename over the target (atomic on POSIX)
std::string temp_path_for(const std::string & path);
void rename_atomic(const std::string & tmp, const std::string & path);
size_t rss_bytes(bool peak);

// max of a vocabulary-sized row (the loss head, sampling). 16 independent lanes so the compiler vectorises it without
// flags (a single running max is a serial dependency chain); max is exact in any order, so every build agrees.
inline float max_of(const float * x, int64_t n) {
    float lane[16];
    for (float & l : lane) l = -INFINITY;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int l = 0; l < 16; ++l) lane[l] = lane[l] > x[i + l] ? lane[l] : x[i + l];
    }
    float mx = -INFINITY;
    for (float l : lane) mx = std::max(mx, l);
    for (; i < n; ++i) mx = std::max(mx, x[i]);
    return mx;
}
