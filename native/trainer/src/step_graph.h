// One training/scoring graph of packed sequences as a step builds it (train.cpp), kept alive until computed or
// inspected: the load-time op check (op_check.cpp) probes this same graph instead of a copy of its construction.
#pragma once

#include "engine.h"
#include "access.h"

#include "llama-graph.h"

#include <memory>
#include <vector>

// host-side inputs of one loss chunk; the fused head ops read them directly (they run on the CPU backend)
struct LossChunk {
    std::vector<int32_t> pos;    // [n_c] positions (packed token indices) whose logits are used
    std::vector<int32_t> tok;    // [K*n_c] target tokens; -1: padding (a position with fewer than K targets)
    std::vector<float> w;        // [K*n_c] cross-entropy: weights; distillation: the teacher's log-probs
    std::vector<float> s;        // [n_c] cross-entropy: sum of weights per position; distillation: the term's weight
    std::vector<Divergence> mode;// [n_c] the position's loss term
    std::vector<int32_t> owner;  // [n_c] packed sequence of each position
    int64_t K = 1;
    int64_t topk = 0;            // > 0: the graph also returns the k most likely tokens per position
    ggml_tensor *t_pos = nullptr, *stats = nullptr, *top = nullptr;
};

// sets cparams.training for the graph's lifetime, and clears the memory whatever happens
struct TrainingMode {
    llama_context * ctx;
    explicit TrainingMode(llama_context * c) : ctx(c) { Access::cparams(ctx).training = true; }
    ~TrainingMode() {
        Access::cparams(ctx).training = false;
        Access::memory(ctx)->clear(true);
    }
    TrainingMode(const TrainingMode &) = delete;
    TrainingMode & operator=(const TrainingMode &) = delete;
};

struct StepGraph {
    explicit StepGraph(llama_context * c) : mode(c) {}
    ~StepGraph() { llama_batch_free(batch); }

    TrainingMode mode;
    llama_batch batch{};
    llama_memory_context_ptr mctx;
    std::unique_ptr<llm_graph_result> res;
    std::unique_ptr<ggml_context, void (*)(ggml_context *)> ctx{nullptr, ggml_free};
    ggml_cgraph * graph = nullptr;
    std::vector<int64_t> offset;                     // first packed token of each sequence, and the total
    std::vector<std::unique_ptr<LossChunk>> chunks;  // empty: no position carries loss (nothing to compute)
    ggml_tensor * G = nullptr;                       // dL/dh leaf (backward)
    ggml_tensor * surrogate = nullptr;               // sum(h * G) (backward)
};
