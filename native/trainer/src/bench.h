#pragma once
#include <nlohmann/json.hpp>
// {"cmd":"sgemm_peak","threads"?,"n"?,"reps"?}: F32 matrix-product GFLOP/s per backend of this build (bench.cpp).
nlohmann::json sgemm_peak(const nlohmann::json & req);
