// Small helpers shared by the engine files.
#pragma once
#include <chrono>
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
