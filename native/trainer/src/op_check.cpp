// Which backend computes each op of a training step. check_trainable_types (engine.cpp) only asks for OUT_PROD
// per base weight type; a GPU backend can lack other ops of the step (a backward op such as SOFT_MAX_BACK,
// ROPE_BACK, GET_ROWS_BACK or an OUT_PROD with a quantized weight; the fused loss-head passes, CUSTOM ops that only
// the CPU backend computes): the scheduler then asserts mid-step (GGML_ASSERT(*cur_backend_id != -1)) when no backend has the op, or
// silently runs it on the CPU with copies both ways when only the CPU has it. So build the training graph of a short
// sequence once, exactly as a step does (llama.cpp's model graph with the adapter, the chunked loss head of
// train.cpp, ggml's backward expansion), without allocating or computing it, and ask every backend
// (ggml_backend_supports_op) about every node. Ops no backend computes refuse the model by name; ops only the CPU
// computes on a GPU build are returned as warnings. The loss head below mirrors train.cpp's op for op (K = 2 so
// the soft-label shapes are included); when train.cpp's head changes, change it here too (or let train.cpp expose
// its graph builder and probe that graph).
#include "engine.h"
#include "access.h"
#include "util.h"

#include "llama-adapter.h"
#include "llama-graph.h"
#include "llama-model.h"

#include <map>
#include <memory>
#include <set>

namespace {

struct TrainingModeGuard {
    llama_context * ctx;
    explicit TrainingModeGuard(llama_context * c) : ctx(c) { Access::cparams(ctx).training = true; }
    ~TrainingModeGuard() {
        Access::cparams(ctx).training = false;
        Access::memory(ctx)->clear(true);
    }
};

// "OUT_PROD(q4_0, f32)": the op (or unary op) and the types of its sources, which is what support depends on
std::string op_signature(const ggml_tensor * t) {
    std::string s = ggml_op_desc(t);
    s += "(";
    for (int j = 0; j < GGML_MAX_SRC && t->src[j]; ++j) s += std::string(j ? ", " : "") + ggml_type_name(t->src[j]->type);
    return s + ")";
}

// stands in for train.cpp's head_stats / head_grad in the probed graph, which is never computed
void probe_custom(ggml_tensor *, int, int, void *) {}

bool is_view_op(ggml_op op) {
    return op == GGML_OP_NONE || op == GGML_OP_VIEW || op == GGML_OP_RESHAPE || op == GGML_OP_PERMUTE || op == GGML_OP_TRANSPOSE;
}

} // namespace

std::vector<Engine::OpSupport> Engine::training_op_support() {
    if (!model || !ctx) throw EngineError("NOT_LOADED", "no model loaded");
    const int64_t T = std::min<int64_t>(n_ctx(), 32);
    const int64_t V = n_vocab();
    TrainingModeGuard mode(ctx);
    auto & cparams = Access::cparams(ctx);
    llama_memory_i * mem = Access::memory(ctx);
    mem->clear(true);

    llama_batch batch = llama_batch_init((int32_t) T, 0, 1);
    std::unique_ptr<llama_batch, void (*)(llama_batch *)> batch_guard(&batch, [](llama_batch * b) { llama_batch_free(*b); });
    batch.n_tokens = (int32_t) T;
    for (int64_t i = 0; i < T; ++i) {
        batch.token[i] = (llama_token) ((i * 7919 + 13) % V);
        batch.pos[i] = (llama_pos) i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = true;
    }
    auto & balloc = Access::balloc(ctx);
    if (!balloc.init(batch, model->vocab, nullptr, model->hparams.n_embd_inp(), cparams.kv_unified ? LLAMA_MAX_SEQ : cparams.n_seq_max, true)) {
        throw EngineError("INTERNAL", "op check: cannot initialise the batch");
    }
    auto mctx = mem->init_batch(balloc, cparams.n_ubatch, true);
    if (!mctx || mctx->get_status() != LLAMA_MEMORY_STATUS_SUCCESS || !mctx->apply()) throw EngineError("INTERNAL", "op check: cannot place the batch");
    const llama_ubatch & ubatch = mctx->get_ubatch();

    auto res = std::make_unique<llm_graph_result>(2 * (int64_t) ctx->graph_max_nodes((uint32_t) T) + 1024);
    res->reset();
    llm_graph_params gp{};
    gp.arch = model->arch;
    gp.hparams = model->hparams;
    gp.cparams = cparams;
    gp.ubatch = ubatch;
    gp.gtype = LLM_GRAPH_TYPE_DEFAULT;
    ensure_sched(sched_size);
    gp.sched = sched;
    gp.backend_cpu = backend_cpu;
    gp.cvec = Access::cvec(ctx);
    gp.loras = Access::loras(ctx);
    gp.mctx = mctx.get();
    gp.cross = Access::cross(ctx);
    gp.n_outputs = (uint32_t) T;
    gp.cb = [](const llama_ubatch &, ggml_tensor * cur, const char * name, int il) {
        if (il >= 0) ggml_format_name(cur, "%s-%d", name, il); else ggml_set_name(cur, name);
    };
    gp.res = res.get();
    ggml_cgraph * gf = model->build_graph(gp);
    if (!gf) throw EngineError("INTERNAL", "op check: cannot build the model graph");
    ggml_tensor * h = res->get_embd();
    ggml_tensor * logits = res->get_logits();
    if (!h || !logits || logits->op != GGML_OP_MUL_MAT) throw EngineError("INTERNAL", "op check: unexpected output head");
    ggml_tensor * w_out = logits->src[0];

    const size_t graph_size = (size_t) ggml_graph_n_nodes(gf) * 4 + 4096;
    ggml_init_params ip = { graph_size * 2 * ggml_tensor_overhead() + ggml_graph_overhead_custom(graph_size, true), nullptr, true };
    std::unique_ptr<ggml_context, void (*)(ggml_context *)> lctx(ggml_init(ip), ggml_free);
    ggml_context * c = lctx.get();
    ggml_cgraph * gt = ggml_new_graph_custom(c, graph_size, true);
    for (int i = 0; i < ggml_graph_n_nodes(gf); ++i) {
        if (ggml_graph_node(gf, i) != logits) ggml_build_forward_expand(gt, ggml_graph_node(gf, i));
    }

    // train.cpp's loss head for one chunk of n_c positions with K = 2 targets each: the output matrix cast to F32
    // once, Z = W_head^T h (MUL_MAT), the fused CPU passes head_stats and head_grad (CUSTOM ops: no GPU backend
    // computes them, so on a GPU build they are reported with their [n_vocab, chunk] copies), G = W_head P
    // (OUT_PROD), written into dL/dh (SET_ROWS). The custom ops are never computed here: probe_custom is a stand-in
    // with the same shapes and sources.
    const int64_t n_c = T, K = 2;
    ggml_tensor * G = ggml_new_tensor_2d(c, GGML_TYPE_F32, h->ne[0], T);
    ggml_tensor * t_pos = ggml_new_tensor_1d(c, GGML_TYPE_I32, n_c);
    ggml_tensor * w_head = w_out->type == GGML_TYPE_F32 ? w_out : ggml_cast(c, w_out, GGML_TYPE_F32);
    ggml_tensor * hc = ggml_get_rows(c, h, t_pos);
    ggml_tensor * z = ggml_mul_mat(c, w_head, hc);
    ggml_tensor * zin = z;
    ggml_tensor * stats = ggml_custom_4d(c, GGML_TYPE_F32, K + 1, n_c, 1, 1, &zin, 1, probe_custom, GGML_N_TASKS_MAX, nullptr);
    ggml_build_forward_expand(gt, stats);
    ggml_tensor * args[2] = { z, stats };
    ggml_tensor * P = ggml_custom_4d(c, GGML_TYPE_F32, V, n_c, 1, 1, args, 2, probe_custom, GGML_N_TASKS_MAX, nullptr);
    ggml_tensor * g = ggml_out_prod(c, w_head, ggml_transpose(c, P));
    ggml_build_forward_expand(gt, ggml_set_rows(c, G, g, t_pos));
    ggml_tensor * surrogate = ggml_sum(c, ggml_mul(c, h, G));
    ggml_set_loss(surrogate);
    ggml_build_forward_expand(gt, surrogate);
    ggml_build_backward_expand(c, gt, nullptr);

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
