// Which backend computes each op of a training step. check_trainable_types (engine.cpp) only asks for OUT_PROD
// per base weight type; a GPU backend can lack other ops of the step (a backward op such as SOFT_MAX_BACK,
// ROPE_BACK, GET_ROWS_BACK or an OUT_PROD with a quantized weight; the fused loss-head passes, CUSTOM ops that only
// the CPU backend computes): the scheduler then asserts mid-step (GGML_ASSERT(*cur_backend_id != -1)) when no
// backend has the op, or silently runs it on the CPU with copies both ways when only the CPU has it. So build the
// step's own graph (Engine::build_step_graph, train.cpp) once for two short packed sequences, one with two soft
// targets per position so the soft-label shapes are included, without allocating or computing it, and ask every
// backend (ggml_backend_supports_op) about every node. Ops no backend computes refuse the model by name; ops only
// the CPU computes on a GPU build are returned as warnings.
#include "engine.h"
#include "access.h"
#include "util.h"
#include "step_graph.h"

#include "llama-adapter.h"
#include "llama-graph.h"
#include "llama-model.h"

#include <map>
#include <memory>
#include <set>

namespace {

// "OUT_PROD(q4_0, f32)": the op (or unary op) and the types of its sources, which is what support depends on
std::string op_signature(const ggml_tensor * t) {
    std::string s = ggml_op_desc(t);
    s += "(";
    for (int j = 0; j < GGML_MAX_SRC && t->src[j]; ++j) s += std::string(j ? ", " : "") + ggml_type_name(t->src[j]->type);
    return s + ")";
}

bool is_view_op(ggml_op op) {
    return op == GGML_OP_NONE || op == GGML_OP_VIEW || op == GGML_OP_RESHAPE || op == GGML_OP_PERMUTE || op == GGML_OP_TRANSPOSE;
}

} // namespace

std::vector<Engine::OpSupport> Engine::training_op_support() {
    if (!model || !ctx) throw EngineError("NOT_LOADED", "no model loaded");
    const int64_t V = n_vocab();
    const int64_t T = std::max<int64_t>(2, std::min<int64_t>(n_ctx(), 32) / 2);
    std::vector<Sequence> probe(2);
    for (int q = 0; q < 2; ++q) {
        Sequence & s = probe[q];
        for (int64_t i = 0; i < T; ++i) s.tokens.push_back((llama_token) ((i * 7919 + q * 104729 + 13) % V));
        s.targets.resize(T);
        for (int64_t i = 1; i < T; ++i) {
            s.targets[i] = {{s.tokens[i], 1.0f}};
            if (q == 1) s.targets[i].push_back({(s.tokens[i] + 1) % V, 0.5f});
        }
    }
    PackRequest req;
    req.backward = true;
    std::unique_ptr<StepGraph> sg = build_step_graph({&probe[0], &probe[1]}, req);
    ggml_cgraph * gt = sg->graph;

    // one entry per distinct signature, with the backends that compute it
    std::map<std::string, OpSupport> by_sig;
    for (int i = 0; i < ggml_graph_n_nodes(gt); ++i) {
        const ggml_tensor * node = ggml_graph_node(gt, i);
        if (is_view_op(node->op)) continue;
        const std::string sig = op_signature(node);
        if (by_sig.count(sig)) continue;
        OpSupport s;
        s.op = sig;
        s.example = ggml_get_name(node);
        for (auto b : backends) {
            if (ggml_backend_supports_op(b, node)) s.backends.push_back(ggml_backend_name(b));
        }
        by_sig.emplace(sig, std::move(s));
    }
    // the model graph builder may have assigned tensors of this (freed) graph to backends in the scheduler
    ggml_backend_sched_reset(sched);
    std::vector<OpSupport> out;
    for (auto & [sig, s] : by_sig) out.push_back(std::move(s));
    return out;
}

std::vector<std::string> Engine::check_training_ops() {
    const auto support = training_op_support();
    bool has_gpu = false;
    for (auto b : backends) {
        ggml_backend_dev_t dev = ggml_backend_get_device(b);
        has_gpu = has_gpu || (dev && ggml_backend_dev_type(dev) != GGML_BACKEND_DEVICE_TYPE_CPU && ggml_backend_dev_type(dev) != GGML_BACKEND_DEVICE_TYPE_ACCEL);
    }
    const std::string cpu_name = ggml_backend_name(backend_cpu);
    std::string missing;
    std::vector<std::string> warnings;
    for (auto & s : support) {
        if (s.backends.empty()) missing += (missing.empty() ? "" : ", ") + s.op;
        else if (has_gpu && s.backends.size() == 1 && s.backends[0] == cpu_name) {
            warnings.push_back(s.op + " runs on the CPU (no GPU backend of this build computes it): its inputs are copied to the host every step");
        }
    }
    if (!missing.empty()) {
        free_all();
        throw EngineError("LOAD_FAILED", "cannot train this model with this build: no backend computes " + missing +
            " (ops of the training step); use an F32 or F16 base, or a CPU build");
    }
    return warnings;
}
