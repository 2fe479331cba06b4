// Per-op time profile of the training graph, for finding where a step's time goes (issue 14: profile before
// optimising). It uses the scheduler's eval callback: asking to observe every node makes the scheduler compute
// the graph one node at a time, so each node's wall time is measured on its own backend. That adds a per-node
// dispatch cost (thread wake-up) to small ops, so a profiled step is slower than a normal one; the shares of the
// large ops (matrix products, vocabulary-sized passes) are what the profile is for.
#pragma once

#include "ggml.h"
#include "ggml-backend.h"

#include <map>
#include <string>
#include <vector>

struct OpProfile {
    struct Row { std::string key; double ms = 0.0; int64_t count = 0; double gflop = 0.0; };
    // wall time per op kind and backend, e.g. "MUL_MAT/BLAS [f32 512x512 * 512x256]"
    std::map<std::string, Row> rows;
    double total_ms = 0.0;
    double last_ms = 0.0;
    ggml_backend_sched_t sched = nullptr;

    void attach(ggml_backend_sched_t s);   // until detach(): every node of the next computes is timed
    void detach();
    std::vector<Row> sorted() const;       // slowest first
};
