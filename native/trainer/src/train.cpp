// The training step: one graph per pack of sequences (consecutive sequences of the batch up to n_ctx tokens, each
// with its own sequence id, so attention is block-diagonal and causal): model forward + chunked weighted loss +
// backward into gradient accumulators owned by the engine, then AdamW with global-norm clipping on the host.
//
// Loss (per sequence): L = sum_i sum_k w_ik * -log p(tok_ik | prefix_i). Its gradient w.r.t. the logits z_i is
// s_i * softmax(z_i) - W_i (s_i = sum_k w_ik), valid for masked (0), negative and soft targets. So the
// vocabulary-sized part is never differentiated by ggml: per chunk of positions the graph computes the logits
// Z = W_out^T h (one GEMM), two fused passes over Z on the CPU (head_stats: log-sum-exp and the targets' log-probs;
// head_grad: P = s*softmax - W), and G = W_out P (the second GEMM) = dL/dh, which is written into a leaf tensor;
// the surrogate sum(h * G) is then backpropagated through the model (h = final normed hidden state). The loss value
// is summed on the host from the targets' log-probs. On host backends head_grad overwrites the logits, so one
// [n_vocab, chunk] F32 buffer per chunk is all the loss needs; the chunk is sized by memory (loss_bytes) because
// wide chunks keep the two GEMMs efficient: BLAS packs all of W_out once per GEMM, which dominated at 32 positions
// per chunk (profile: docs/architecture.md).
//
// Distillation (KID, methods.md section 4): at a position of a distillation sequence the term is lambda * D(q, p),
// q the student's softmax and p the teacher, known only by its top-k S (token, log-prob) and the mass left over,
// m = 1 - sum_S p. The tail is handled explicitly as one bucket: within it the teacher is taken to be proportional
// to the student (p_u = m q_u / q_T for u outside S, q_T = the student's tail mass), so both directions are the KL of
// the two distributions coarsened to (S, tail) — exact when S is the whole vocabulary, a lower bound of the full KL
// otherwise — and the tail needs no per-token teacher values:
//   reverse (KID's choice): D = sum_S q_k (log q_k - log p_k) + q_T (log q_T - log m)
//       dD/dz_u = q_u (r_u - D),  r_u = log q_u - log p_u on S, r_T = log q_T - log m in the tail;
//   forward (the option):   D = sum_S p_k (log p_k - log q_k) + m (log m - log q_T)
//       dD/dz_u = c q_u - p_u on S,  (c - m / q_T) q_u in the tail,  c = sum_S p + m (1 unless m is floored).
// Both gradients have the form "a constant times q_u in the tail, a per-token value on S", which head_grad writes in
// place of the logits like the cross-entropy's P; the rest of the step (dL/dh, the surrogate) is shared. head_stats
// adds log q_T (a sum over the tail's own terms, not 1 - sum_S q, which cancels when the student is sure) and the
// student's argmax (agreement with the teacher). m is floored at TAIL_FLOOR: a teacher whose top-k holds all its mass
// would make log m infinite, and the reverse direction's penalty for student mass in the tail unbounded.
#include "engine.h"
#include "access.h"
#include "step_graph.h"
#include "util.h"

#include "llama-adapter.h"
#include "llama-graph.h"
#include "llama-model.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

// ggml-cpu's vectorised exp pass (vec.cpp): y = exp(x - max), returns the sum in double. Not in a public header.
extern "C" double ggml_vec_soft_max_f32(const int n, float * y, const float * x, float max);

namespace {

using Chunk = LossChunk;

// rows of the head_stats output per position: K target log-probs, then log-sum-exp, the log of the student's mass
// outside the targets and its argmax (the last two at distillation positions only)
constexpr int64_t STATS_EXTRA = 3;
constexpr int64_t ROW_LSE = 0, ROW_LOG_TAIL = 1, ROW_ARGMAX = 2; // after the K target rows
constexpr double TAIL_FLOOR = 1e-6;      // the teacher's tail mass m, at least (see the header)
constexpr double LOG_TAIL_FLOOR = -69.0; // log q_T, at least (~1e-30): a tail that underflowed to 0 stays finite

// The divergence at one distillation position from the head's statistics: lq[k] = log q of the teacher's k-th token,
// lp[k] its teacher log-prob (tok[k] < 0: padding), log_tail = log q_T; and its gradient w.r.t. the student's logits:
// tail_factor * q_u outside S, on_set(k) on S (the formulas of the header).
struct DivergenceAt {
    double D = 0.0, tail_factor = 0.0, c = 1.0, log_m = 0.0, m = 0.0;
    Divergence mode;
    DivergenceAt(Divergence mode, const int32_t * tok, const float * lp, const float * lq, int64_t K, double log_tail) : mode(mode) {
        double sum_p = 0.0;
        for (int64_t k = 0; k < K; ++k) if (tok[k] >= 0) sum_p += std::exp((double) lp[k]);
        m = std::max(1.0 - sum_p, TAIL_FLOOR);
        log_m = std::log(m);
        log_tail = std::max(log_tail, LOG_TAIL_FLOOR);
        const double q_tail = std::exp(log_tail);
        if (mode == Divergence::reverse_kl) {
            for (int64_t k = 0; k < K; ++k) if (tok[k] >= 0) D += std::exp((double) lq[k]) * ((double) lq[k] - lp[k]);
            D += q_tail * (log_tail - log_m);
            tail_factor = (log_tail - log_m) - D;
        } else {
            for (int64_t k = 0; k < K; ++k) if (tok[k] >= 0) D += std::exp((double) lp[k]) * ((double) lp[k] - lq[k]);
            D += m * (log_m - log_tail);
            c = sum_p + m;
            tail_factor = c - m / q_tail;
        }
    }
    // dD/dz at a teacher token whose student log-prob is lq and teacher log-prob lp
    double on_set(double lq, double lp) const {
        const double q = std::exp(lq);
        return mode == Divergence::reverse_kl ? q * ((lq - lp) - D) : c * q - std::exp(lp);
    }
};

// Each thread of the head ops takes its own slice of the chunk's columns (positions). head_stats leaves its input
// alone; head_grad overwrites the logits when the graph allows it (head_in_place), else writes a new tensor.

// head_stats: per column j of z [V, n_c]: lse = max + log(sum(exp(z - max))) and the targets' log-probs
// log p_k = z_k - lse (without log(p), which underflows for unlikely targets: sum >= 1, so lse is finite).
void head_stats(ggml_tensor * dst, int ith, int nth, void * ud) {
    const Chunk & ch = *(const Chunk *) ud;
    const ggml_tensor * z = dst->src[0];
    const int64_t V = z->ne[0], n_c = z->ne[1], K = ch.K;
    const int64_t j0 = n_c * ith / nth, j1 = n_c * (ith + 1) / nth;
    thread_local std::vector<float> scratch;
    scratch.resize((size_t) V);
    for (int64_t j = j0; j < j1; ++j) {
        const float * zc = (const float *) ((const char *) z->data + j * z->nb[1]);
        float * out = (float *) ((char *) dst->data + j * dst->nb[1]);
        const float mx = max_of(zc, V);
        const double sum = ggml_vec_soft_max_f32((int) V, scratch.data(), zc, mx);
        const float lse = mx + (float) std::log(sum);
        const int32_t * tok = &ch.tok[j * K];
        for (int64_t k = 0; k < K; ++k) out[k] = tok[k] >= 0 ? zc[tok[k]] - lse : 0.0f;
        out[K + ROW_LSE] = lse;
        out[K + ROW_LOG_TAIL] = 0.0f;
        out[K + ROW_ARGMAX] = 0.0f;
        if (ch.mode[j] != Divergence::none) {
            // the tail's own terms summed (scratch holds exp(z - mx)), and the first most likely token
            for (int64_t k = 0; k < K; ++k) if (tok[k] >= 0) scratch[tok[k]] = 0.0f;
            double tail = 0.0;
            for (int64_t v = 0; v < V; ++v) tail += scratch[v];
            out[K + ROW_LOG_TAIL] = tail > 0.0 ? (float) (std::log(tail) + mx - lse) : (float) LOG_TAIL_FLOOR;
            int64_t arg = 0;
            while (arg < V - 1 && zc[arg] != mx) ++arg;
            out[K + ROW_ARGMAX] = (float) arg; // exact: vocabularies are far below 2^24
        }
    }
}

// head_grad: P = s * softmax(z) - W, the loss gradient w.r.t. the logits, with softmax = exp(z - lse)
void head_grad(ggml_tensor * dst, int ith, int nth, void * ud) {
    const Chunk & ch = *(const Chunk *) ud;
    const ggml_tensor * z = dst->src[0];
    const ggml_tensor * stats = dst->src[1];
    const int64_t V = dst->ne[0], n_c = dst->ne[1], K = ch.K;
    const int64_t j0 = n_c * ith / nth, j1 = n_c * (ith + 1) / nth;
    for (int64_t j = j0; j < j1; ++j) {
        const float * zc = (const float *) ((const char *) z->data + j * z->nb[1]);
        float * pc = (float *) ((char *) dst->data + j * dst->nb[1]);
        const float * st = (const float *) ((const char *) stats->data + j * stats->nb[1]);
        const float lse = st[K + ROW_LSE];
        const float s = ch.s[j];
        const int32_t * tok = &ch.tok[j * K];
        if (ch.mode[j] != Divergence::none) {
            // s * dD/dz: s * tail_factor * q_u everywhere, then the teacher's tokens set to their own value
            const DivergenceAt d(ch.mode[j], tok, &ch.w[j * K], st, K, st[K + ROW_LOG_TAIL]);
            ggml_vec_soft_max_f32((int) V, pc, zc, lse);
            const float f = (float) (s * d.tail_factor);
            for (int64_t v = 0; v < V; ++v) pc[v] *= f;
            for (int64_t k = 0; k < K; ++k) if (tok[k] >= 0) pc[tok[k]] = (float) (s * d.on_set(st[k], ch.w[j * K + k]));
            continue;
        }
        if (s > 0.0f) {
            ggml_vec_soft_max_f32((int) V, pc, zc, lse - std::log(s)); // s * exp(z - lse) in one pass
        } else {
            ggml_vec_soft_max_f32((int) V, pc, zc, lse);
            for (int64_t v = 0; v < V; ++v) pc[v] *= s;              // s <= 0: negative weights that cancel
        }
        for (int64_t k = 0; k < K; ++k) if (tok[k] >= 0) pc[tok[k]] -= ch.w[j * K + k];
    }
}

// head_topk: per column the k most likely tokens (ties: the lower id first, as llama.cpp's greedy sampler) and their
// log-probs z - lse, as [token, log-prob] pairs most likely first. A bounded heap: one pass over the vocabulary.
void head_topk(ggml_tensor * dst, int ith, int nth, void * ud) {
    const Chunk & ch = *(const Chunk *) ud;
    const ggml_tensor * z = dst->src[0];
    const ggml_tensor * stats = dst->src[1];
    const int64_t V = z->ne[0], n_c = z->ne[1], K = ch.K, k_top = std::min<int64_t>(ch.topk, V);
    const int64_t j0 = n_c * ith / nth, j1 = n_c * (ith + 1) / nth;
    using Entry = std::pair<float, int32_t>;
    // "a before b": a more likely (higher logit, then lower id); the heap's front is the least likely kept
    auto better = [](const Entry & a, const Entry & b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
    std::vector<Entry> heap;
    for (int64_t j = j0; j < j1; ++j) {
        const float * zc = (const float *) ((const char *) z->data + j * z->nb[1]);
        const float lse = ((const float *) ((const char *) stats->data + j * stats->nb[1]))[K + ROW_LSE];
        float * out = (float *) ((char *) dst->data + j * dst->nb[1]);
        heap.clear();
        for (int64_t v = 0; v < V; ++v) {
            const Entry e{zc[v], (int32_t) v};
            if ((int64_t) heap.size() < k_top) {
                heap.push_back(e);
                std::push_heap(heap.begin(), heap.end(), better);
            } else if (better(e, heap.front())) {
                std::pop_heap(heap.begin(), heap.end(), better);
                heap.back() = e;
                std::push_heap(heap.begin(), heap.end(), better);
            }
        }
        std::sort(heap.begin(), heap.end(), better);
        for (int64_t k = 0; k < k_top; ++k) {
            out[2 * k] = (float) heap[k].second; // exact: vocabularies are far below 2^24
            out[2 * k + 1] = heap[k].first - lse;
        }
    }
}

// A stop-gradient for the loss head's input. ggml_build_backward_expand marks every descendant of a parameter as
// needing a gradient and refuses in-place ops among them, but the head computes its own gradient (dL/dh, below) and
// wants to overwrite the logits with it in place. Two bit copies cut the dependency: the first is typed I32, and
// ggml's backward pass skips integer nodes (ggml.c: they carry no gradient). [E, n_c] floats: negligible.
void copy_bits(ggml_tensor * dst, int ith, int nth, void *) {
    const size_t n = ggml_nbytes(dst);
    const size_t per = (n / sizeof(float) + nth - 1) / nth * sizeof(float);
    const size_t a = std::min(n, per * ith), b = std::min(n, a + per);
    if (b > a) std::memcpy((char *) dst->data + a, (const char *) dst->src[0]->data + a, b - a);
}

ggml_tensor * stop_gradient(ggml_context * c, ggml_tensor * x) {
    GGML_ASSERT(ggml_is_contiguous(x) && x->type == GGML_TYPE_F32);
    ggml_tensor * bits = ggml_custom_4d(c, GGML_TYPE_I32, x->ne[0], x->ne[1], x->ne[2], x->ne[3], &x, 1, copy_bits, GGML_N_TASKS_MAX, nullptr);
    return ggml_custom_4d(c, GGML_TYPE_F32, x->ne[0], x->ne[1], x->ne[2], x->ne[3], &bits, 1, copy_bits, GGML_N_TASKS_MAX, nullptr);
}

} // namespace

void Engine::validate_sequence(const Sequence & seq) const {
    const int64_t T = (int64_t) seq.tokens.size();
    if (T < 2) throw EngineError("BAD_REQUEST", "a sequence needs at least 2 tokens");
    if (seq.targets.size() != seq.tokens.size()) throw EngineError("BAD_REQUEST", "a sequence needs one target list per token");
    if (T > n_ctx()) throw EngineError("BAD_REQUEST", "sequence of " + std::to_string(T) + " tokens exceeds ctx " + std::to_string(n_ctx()));
    const int64_t V = n_vocab();
    for (auto t : seq.tokens) if (t < 0 || t >= V) throw EngineError("BAD_REQUEST", "token id out of range: " + std::to_string(t));
    for (size_t i = 1; i < seq.targets.size(); ++i) {
        for (auto & [tok, w] : seq.targets[i]) {
            if (tok < 0 || tok >= V) throw EngineError("BAD_REQUEST", "target token out of range: " + std::to_string(tok));
            if (!std::isfinite(w)) throw EngineError("BAD_REQUEST", "target weights and log-probs must be finite");
        }
    }
    if (seq.divergence == Divergence::none) return;
    // distillation: a teacher distribution (distinct tokens, log-probs, mass at most 1) wherever the term has weight
    if (seq.weight.size() != seq.tokens.size()) throw EngineError("BAD_REQUEST", "a distillation sequence needs one weight per token");
    for (size_t i = 1; i < seq.targets.size(); ++i) {
        const float w = seq.weight[i];
        if (!std::isfinite(w) || w < 0.0f) throw EngineError("BAD_REQUEST", "distillation weights must be finite and >= 0");
        if (w == 0.0f) continue;
        const auto & tg = seq.targets[i];
        if (tg.empty()) throw EngineError("BAD_REQUEST", "position " + std::to_string(i) + " has a distillation weight but no teacher tokens");
        double mass = 0.0;
        for (size_t k = 0; k < tg.size(); ++k) {
            if (tg[k].second > 1e-4f) throw EngineError("BAD_REQUEST", "teacher log-probs must be <= 0");
            mass += std::exp((double) tg[k].second);
            for (size_t l = 0; l < k; ++l) {
                if (tg[l].first == tg[k].first) throw EngineError("BAD_REQUEST", "teacher token " + std::to_string(tg[k].first) + " appears twice at position " + std::to_string(i));
            }
        }
        if (mass > 1.0 + 1e-3) throw EngineError("BAD_REQUEST", "the teacher's top-k probabilities at position " + std::to_string(i) + " sum to more than 1");
    }
}

// whether position i of a sequence carries a loss term
static bool carries_loss(const Sequence & seq, size_t i) {
    if (seq.divergence != Divergence::none) return seq.weight[i] != 0.0f;
    for (auto & [tok, w] : seq.targets[i]) if (w != 0.0f) return true;
    return false;
}

// Consecutive sequences of the batch, as many as fit n_ctx tokens (and the context's sequence slots), go into one
// graph: wider matrix products for BLAS and one graph instead of several. Deterministic (lengths and order only),
// so a resumed job packs its batches the same way.
std::vector<std::vector<const Sequence *>> Engine::pack(const std::vector<Sequence> & batch) const {
    std::vector<std::vector<const Sequence *>> packs;
    int64_t used = 0;
    for (auto & s : batch) {
        validate_sequence(s);
        const int64_t T = (int64_t) s.tokens.size();
        if (packs.empty() || used + T > n_ctx() || (int) packs.back().size() >= PACK_MAX_SEQS) {
            packs.emplace_back();
            used = 0;
        }
        packs.back().push_back(&s);
        used += T;
    }
    return packs;
}

std::unique_ptr<StepGraph> Engine::build_step_graph(const std::vector<const Sequence *> & seqs, const PackRequest & req) {
    const bool backward = req.backward;
    if (backward && req.topk > 0) throw EngineError("INTERNAL", "top-k reads the logits that the backward pass overwrites");
    const int64_t V = n_vocab();
    const int64_t n_seqs = (int64_t) seqs.size();
    std::vector<int64_t> offset(n_seqs + 1, 0);
    for (int64_t b = 0; b < n_seqs; ++b) offset[b + 1] = offset[b] + (int64_t) seqs[b]->tokens.size();
    const int64_t T = offset[n_seqs]; // tokens in the graph
    if (T > n_ctx() || n_seqs > PACK_MAX_SEQS) throw EngineError("INTERNAL", "pack exceeds the context");
    auto sg = std::make_unique<StepGraph>(ctx);
    sg->offset = offset;

    // active positions (the logits at token p of sequence b predict its token p+1), as indices into the packed
    // tokens, and the uniform number of targets per position
    std::vector<int32_t> active;
    std::vector<int32_t> owner;                                  // sequence of each active position
    std::vector<const std::vector<std::pair<llama_token, float>> *> targets_of; // their targets
    size_t K = 1;
    for (int64_t b = 0; b < n_seqs; ++b) {
        const Sequence & seq = *seqs[b];
        for (int64_t i = 1; i < (int64_t) seq.tokens.size(); ++i) {
            if (!carries_loss(seq, (size_t) i)) continue;
            active.push_back((int32_t) (offset[b] + i - 1));
            owner.push_back((int32_t) b);
            targets_of.push_back(&seq.targets[i]);
            K = std::max(K, seq.targets[i].size());
        }
    }
    if (active.empty()) return sg;

    auto & cparams = Access::cparams(ctx);
    llama_memory_i * mem = Access::memory(ctx);
    mem->clear(true);

    // one sequence id per packed sequence, positions from 0: llama.cpp's mask then lets each token attend only to
    // its own sequence's earlier tokens (block-diagonal causal); patch 0001 reads its first T columns
    sg->batch = llama_batch_init((int32_t) T, 0, 1);
    llama_batch & batch = sg->batch;
    batch.n_tokens = (int32_t) T;
    for (int64_t b = 0; b < n_seqs; ++b) {
        for (int64_t i = 0; i < (int64_t) seqs[b]->tokens.size(); ++i) {
            const int64_t g = offset[b] + i;
            batch.token[g] = seqs[b]->tokens[i];
            batch.pos[g] = (llama_pos) i;
            batch.n_seq_id[g] = 1;
            batch.seq_id[g][0] = (llama_seq_id) b;
            batch.logits[g] = true;
        }
    }

    auto & balloc = Access::balloc(ctx);
    if (!balloc.init(batch, model->vocab, nullptr, model->hparams.n_embd_inp(), cparams.kv_unified ? LLAMA_MAX_SEQ : cparams.n_seq_max, true)) {
        throw EngineError("INTERNAL", "cannot initialise the batch");
    }
    sg->mctx = mem->init_batch(balloc, cparams.n_ubatch, true);
    auto & mctx = sg->mctx;
    if (!mctx || mctx->get_status() != LLAMA_MEMORY_STATUS_SUCCESS) throw EngineError("INTERNAL", "cannot place the batch in memory");
    if (!mctx->apply()) throw EngineError("INTERNAL", "cannot apply the memory context");
    const llama_ubatch & ubatch = mctx->get_ubatch();
    if ((int64_t) ubatch.n_tokens != T) throw EngineError("INTERNAL", "the packed sequences did not fit one ubatch");

    // forward graph of the model, built by llama.cpp into our own result object (own node budget)
    sg->res = std::make_unique<llm_graph_result>(2 * (int64_t) ctx->graph_max_nodes((uint32_t) T) + 1024);
    auto & res = sg->res;
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
    // the reference pass (logprobs with reference = true) builds the model without the trained adapter: the base's
    // exact log-probs, or the base with the frozen reference adapter (set_reference), which GRPO's KL term compares
    // the policy with
    gp.loras = without_adapter ? &reference_loras : Access::loras(ctx);
    gp.mctx = mctx.get();
    gp.cross = Access::cross(ctx);
    gp.n_outputs = (uint32_t) T;
    gp.cb = [](const llama_ubatch &, ggml_tensor * cur, const char * name, int il) {
        if (il >= 0) ggml_format_name(cur, "%s-%d", name, il); else ggml_set_name(cur, name);
    };
    gp.res = res.get();
    ggml_cgraph * gf = model->build_graph(gp);
    if (!gf) throw EngineError("INTERNAL", "cannot build the model graph");

    ggml_tensor * h = res->get_embd();
    ggml_tensor * logits = res->get_logits();
    if (!h || !logits || logits->op != GGML_OP_MUL_MAT || logits->src[1] != h) {
        throw EngineError("INTERNAL", "unsupported output head for training (expects logits = output * norm(h))");
    }
    ggml_tensor * w_out = logits->src[0];

    // chunks of active positions: as wide as the loss memory budget allows, split evenly so that no chunk is a narrow
    // remainder. On host backends the gradient overwrites the logits (one [V, n_c] buffer per chunk); elsewhere the
    // head's CPU ops run on copies and keep two (see head_in_place)
    int64_t chunk = loss_chunk;
    if (chunk <= 0) {
        const size_t buffers = head_in_place ? 1 : 2;
        const int64_t widest = std::max<int64_t>(16, (int64_t) (loss_bytes / (buffers * (size_t) V * sizeof(float))));
        const int64_t n_chunks = ((int64_t) active.size() + widest - 1) / widest;
        chunk = ((int64_t) active.size() + n_chunks - 1) / n_chunks;
    }
    auto & chunks = sg->chunks;
    for (size_t c0 = 0; c0 < active.size(); c0 += (size_t) chunk) {
        auto ch = std::make_unique<Chunk>();
        ch->K = (int64_t) K;
        ch->topk = req.topk;
        const size_t n_c = std::min((size_t) chunk, active.size() - c0);
        for (size_t j = 0; j < n_c; ++j) {
            ch->pos.push_back(active[c0 + j]);
            const int32_t b = owner[c0 + j];
            ch->owner.push_back(b);
            const Sequence & seq = *seqs[b];
            const auto & tg = *targets_of[c0 + j];
            const bool distill = seq.divergence != Divergence::none;
            ch->mode.push_back(seq.divergence);
            float s = 0.0f;
            for (size_t k = 0; k < K; ++k) {
                const bool real = k < tg.size();
                // cross-entropy: the weight; distillation: the teacher's log-prob (the term's weight goes to s)
                const float w = real ? tg[k].second : 0.0f;
                ch->tok.push_back(real ? tg[k].first : -1);
                ch->w.push_back(w);
                s += w;
            }
            ch->s.push_back(distill ? seq.weight[ch->pos.back() - offset[b] + 1] : s);
        }
        chunks.push_back(std::move(ch));
    }

    // own context + graph for the training graph: sized from the forward graph (the upstream budget overflows
    // with LoRA on every linear layer once the backward pass is added)
    const size_t graph_size = (size_t) ggml_graph_n_nodes(gf) * (backward ? 4 : 1) + chunks.size() * 64 + 4096;
    const size_t n_tensors = graph_size * 2 + chunks.size() * 64;
    ggml_init_params ip = { n_tensors * ggml_tensor_overhead() + ggml_graph_overhead_custom(graph_size, backward), nullptr, true };
    sg->ctx.reset(ggml_init(ip));
    ggml_context * c = sg->ctx.get();
    ggml_cgraph * gt = ggml_new_graph_custom(c, graph_size, backward);
    sg->graph = gt;
    for (int i = 0; i < ggml_graph_n_nodes(gf); ++i) {
        if (ggml_graph_node(gf, i) != logits) ggml_build_forward_expand(gt, ggml_graph_node(gf, i)); // never the full [n_vocab, T] logits
    }

    const int64_t E = h->ne[0];
    ggml_tensor * G = nullptr;
    if (backward) {
        G = sg->G = ggml_new_tensor_2d(c, GGML_TYPE_F32, E, T); // dL/dh, a leaf: the surrogate is not differentiated through it
        ggml_set_name(G, "squill.dL_dh");
        ggml_set_input(G);
    }
    // the output matrix in F32 once per step: an F16/quantized head (a quantized base, tied embeddings) would
    // otherwise be converted by every GEMM of every chunk
    ggml_tensor * w_head = w_out->type == GGML_TYPE_F32 ? w_out : ggml_cast(c, w_out, GGML_TYPE_F32);
    for (auto & chp : chunks) {
        Chunk & ch = *chp;
        const int64_t n_c = (int64_t) ch.pos.size();
        ch.t_pos = ggml_new_tensor_1d(c, GGML_TYPE_I32, n_c); ggml_set_input(ch.t_pos);
        ggml_tensor * hc = ggml_get_rows(c, h, ch.t_pos);                   // [E, n_c]
        if (head_in_place) hc = stop_gradient(c, hc);
        ggml_tensor * z = ggml_mul_mat(c, w_head, hc);                      // [V, n_c]
        ggml_tensor * zin = z;
        ch.stats = ggml_custom_4d(c, GGML_TYPE_F32, ch.K + STATS_EXTRA, n_c, 1, 1, &zin, 1, head_stats, GGML_N_TASKS_MAX, &ch);
        ggml_set_output(ch.stats);
        ggml_build_forward_expand(gt, ch.stats);
        if (ch.topk > 0) {
            ggml_tensor * args[2] = { z, ch.stats };
            ch.top = ggml_custom_4d(c, GGML_TYPE_F32, 2 * std::min<int64_t>(ch.topk, V), n_c, 1, 1, args, 2, head_topk, GGML_N_TASKS_MAX, &ch);
            ggml_set_output(ch.top);
            ggml_build_forward_expand(gt, ch.top);
        }
        if (backward) {
            ggml_tensor * args[2] = { z, ch.stats };
            ggml_tensor * P = head_in_place                                                     // [V, n_c]
                ? ggml_custom_inplace(c, z, &ch.stats, 1, head_grad, GGML_N_TASKS_MAX, &ch)
                : ggml_custom_4d(c, GGML_TYPE_F32, V, n_c, 1, 1, args, 2, head_grad, GGML_N_TASKS_MAX, &ch);
            ggml_tensor * g = ggml_out_prod(c, w_head, ggml_transpose(c, P));                    // W_out P [E, n_c]
            ggml_build_forward_expand(gt, ggml_set_rows(c, G, g, ch.t_pos));
        }
    }

    if (backward) {
        ggml_tensor * surrogate = sg->surrogate = ggml_sum(c, ggml_mul(c, h, G));
        ggml_set_name(surrogate, "squill.surrogate");
        ggml_set_loss(surrogate);
        ggml_build_forward_expand(gt, surrogate);
        std::map<const ggml_tensor *, ggml_tensor *> acc_of;
        for (auto & prm : params) acc_of[prm.t] = prm.grad;
        std::vector<ggml_tensor *> accs(ggml_graph_n_nodes(gt), nullptr);
        for (int i = 0; i < ggml_graph_n_nodes(gt); ++i) {
            auto it = acc_of.find(ggml_graph_node(gt, i));
            if (it != acc_of.end()) accs[i] = it->second; // gradients are added into the engine's accumulators
        }
        ggml_build_backward_expand(c, gt, accs.data());
        ggml_set_input(ggml_graph_get_grad_acc(gt, surrogate)); // seeded with 1 below
    }

    return sg;
}

std::vector<double> Engine::run_pack(const std::vector<const Sequence *> & seqs, const PackRequest & req) {
    const bool backward = req.backward;
    auto * logp_out = req.logp;
    const int64_t n_seqs = (int64_t) seqs.size();
    std::vector<double> losses(n_seqs, 0.0);
    if (logp_out) {
        logp_out->assign(n_seqs, {});
        for (int64_t b = 0; b < n_seqs; ++b) (*logp_out)[b].assign(seqs[b]->tokens.size() - 1, 0.0f);
    }
    if (req.top) req.top->assign(n_seqs, {});
    std::unique_ptr<StepGraph> sg = build_step_graph(seqs, req);
    if (sg->chunks.empty()) return losses;
    ggml_cgraph * gt = sg->graph;
    const auto & offset = sg->offset;

    ensure_sched((size_t) ggml_graph_size(gt) + 1024);
    ggml_backend_sched_reset(sched);
    if (!ggml_backend_sched_alloc_graph(sched, gt)) throw EngineError("INTERNAL", "cannot allocate the training graph");
    size_t bytes = 0;
    for (auto b : backends) bytes += ggml_backend_sched_get_buffer_size(sched, b);
    last_compute_bytes = bytes;

    sg->res->set_inputs(&sg->mctx->get_ubatch());
    for (auto & ch : sg->chunks) ggml_backend_tensor_set(ch->t_pos, ch->pos.data(), 0, ggml_nbytes(ch->t_pos));
    if (backward) {
        ggml_backend_tensor_memset(sg->G, 0, 0, ggml_nbytes(sg->G));
        // the loss node's own gradient (d surrogate / d surrogate = 1)
        const float one = 1.0f;
        ggml_backend_tensor_set(ggml_graph_get_grad_acc(gt, sg->surrogate), &one, 0, sizeof(float));
    }

    if (profiler) profiler->attach(sched);
    const ggml_status status = ggml_backend_sched_graph_compute(sched, gt);
    if (profiler) profiler->detach();
    if (status != GGML_STATUS_SUCCESS) throw EngineError("INTERNAL", "graph compute failed");

    // loss = -sum w * log p per sequence (a distillation position: its weight times the divergence), summed on the
    // host in double from the head's statistics
    for (auto & ch : sg->chunks) {
        const int64_t K = ch->K, rows = K + STATS_EXTRA;
        std::vector<float> st(ggml_nelements(ch->stats));
        ggml_backend_tensor_get(ch->stats, st.data(), 0, ggml_nbytes(ch->stats));
        std::vector<float> top;
        if (ch->top) {
            top.resize(ggml_nelements(ch->top));
            ggml_backend_tensor_get(ch->top, top.data(), 0, ggml_nbytes(ch->top));
        }
        for (size_t j = 0; j < ch->pos.size(); ++j) {
            const int32_t b = ch->owner[j];
            const float * sj = &st[j * rows];
            if (ch->mode[j] != Divergence::none) {
                const int32_t * tok = &ch->tok[j * K];
                const float * lp = &ch->w[j * K];
                const DivergenceAt d(ch->mode[j], tok, lp, sj, K, sj[K + ROW_LOG_TAIL]);
                losses[b] += (double) ch->s[j] * d.D;
                if (req.distill) {
                    int64_t best = 0; // the teacher's most likely token
                    for (int64_t k = 1; k < K; ++k) if (tok[k] >= 0 && lp[k] > lp[best]) best = k;
                    req.distill->kd += (double) ch->s[j] * d.D;
                    req.distill->positions += 1;
                    req.distill->agree += (int32_t) sj[K + ROW_ARGMAX] == tok[best];
                }
            } else {
                for (int64_t k = 0; k < K; ++k) losses[b] -= (double) ch->w[j * K + k] * sj[k];
            }
            if (logp_out) (*logp_out)[b][ch->pos[j] - offset[b]] = sj[0];
            if (req.top) {
                const int64_t n = ggml_nelements(ch->top) / (int64_t) ch->pos.size() / 2;
                TopK t((size_t) n);
                for (int64_t k = 0; k < n; ++k) t[k] = {(llama_token) top[(j * n + k) * 2], top[(j * n + k) * 2 + 1]};
                (*req.top)[b].push_back(std::move(t));
            }
        }
    }
    ggml_backend_sched_reset(sched);
    return losses;
}

double Engine::accumulate_grads(const std::vector<Sequence> & batch, int64_t * n_tokens, DistillStats * distill) {
    double loss = 0.0;
    PackRequest req;
    req.backward = true;
    req.distill = distill;
    for (auto & p : pack(batch)) for (double l : run_pack(p, req)) loss += l;
    int64_t n = 0;
    for (auto & s : batch) for (size_t i = 1; i < s.targets.size(); ++i) n += carries_loss(s, i);
    if (n_tokens) *n_tokens = n;
    return loss;
}

std::vector<double> Engine::sequence_losses(const std::vector<Sequence> & batch, bool packed) {
    std::vector<double> out;
    if (packed) {
        for (auto & p : pack(batch)) for (double l : run_pack(p, {})) out.push_back(l);
    } else {
        for (auto & s : batch) { validate_sequence(s); out.push_back(run_pack({&s}, {})[0]); }
    }
    return out;
}

double Engine::eval_loss(const std::vector<Sequence> & batch) {
    double loss = 0.0;
    for (double l : sequence_losses(batch, true)) loss += l;
    return loss;
}

// Forward passes over given sequences (logprobs, topk): each sequence's own tokens as weight-1 targets from
// position from[q] on (earlier positions are context only), packed as a step packs them; sequences shorter than 2
// tokens get an empty answer. visit(q, pack result index) sees each sequence once, in order.
namespace {
struct ScoringBatch {
    std::vector<Sequence> batch;
    std::vector<size_t> index;
    ScoringBatch(const std::vector<std::vector<llama_token>> & seqs, const std::vector<int> & from) {
        for (size_t q = 0; q < seqs.size(); ++q) {
            if (seqs[q].size() < 2) continue;
            const size_t f = q < from.size() ? (size_t) std::max(1, from[q]) : 1;
            if (f >= seqs[q].size()) throw EngineError("BAD_REQUEST", "from[" + std::to_string(q) + "] is past the end of its sequence");
            Sequence s;
            s.tokens = seqs[q];
            s.targets.resize(s.tokens.size());
            for (size_t i = f; i < s.tokens.size(); ++i) s.targets[i] = {{s.tokens[i], 1.0f}};
            batch.push_back(std::move(s));
            index.push_back(q);
        }
    }
};
} // namespace

std::vector<std::vector<double>> Engine::logprobs(const std::vector<std::vector<llama_token>> & seqs, bool reference) {
    struct Reset { bool & flag; ~Reset() { flag = false; } } reset{without_adapter};
    without_adapter = reference;
    ScoringBatch sb(seqs, {});
    std::vector<std::vector<double>> out(seqs.size());
    size_t q = 0;
    for (auto & p : pack(sb.batch)) {
        std::vector<std::vector<float>> lp;
        PackRequest req;
        req.logp = &lp;
        run_pack(p, req);
        for (auto & v : lp) out[sb.index[q++]].assign(v.begin(), v.end());
    }
    return out;
}

std::vector<std::vector<Engine::TopK>> Engine::topk(const std::vector<std::vector<llama_token>> & seqs, const std::vector<int> & from, int k, bool reference) {
    if (k < 1 || k > 1024) throw EngineError("BAD_REQUEST", "k must be between 1 and 1024");
    struct Reset { bool & flag; ~Reset() { flag = false; } } reset{without_adapter};
    without_adapter = reference;
    ScoringBatch sb(seqs, from);
    std::vector<std::vector<TopK>> out(seqs.size());
    size_t q = 0;
    for (auto & p : pack(sb.batch)) {
        std::vector<std::vector<TopK>> top;
        PackRequest req;
        req.topk = k;
        req.top = &top;
        run_pack(p, req);
        for (auto & v : top) out[sb.index[q++]] = std::move(v);
    }
    return out;
}

double Engine::grad_norm_sq(std::vector<std::vector<float>> & grads) {
    double sq = 0.0;
    grads.resize(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
        grads[i].resize(ggml_nelements(params[i].grad));
        ggml_backend_tensor_get(params[i].grad, grads[i].data(), 0, ggml_nbytes(params[i].grad));
        for (float g : grads[i]) sq += (double) g * g;
    }
    return sq;
}

StepResult Engine::step(const std::vector<Sequence> & batch, const StepOptions & opt) {
    if (opt.lr <= 0.0f) throw EngineError("BAD_REQUEST", "lr must be > 0");
    if (opt.accumulate < 1) throw EngineError("BAD_REQUEST", "accumulate must be >= 1");
    const double t0 = now_ms();
    StepResult r;
    if (micro == 0) zero_grads(); // accumulators are ours: reset at the start of every optimizer step
    OpProfile prof;
    if (opt.profile) profiler = &prof;
    try {
        r.loss = accumulate_grads(batch, &r.tokens, &r.distill);
    } catch (...) {
        profiler = nullptr;
        throw;
    }
    profiler = nullptr;
    if (opt.profile) { r.profile = prof.sorted(); r.profile_ms = prof.total_ms; }
    micro++;

    std::vector<std::vector<float>> grads;
    r.grad_norm = std::sqrt(grad_norm_sq(grads));
    if (micro >= opt.accumulate) {
        const float scale = (opt.clip > 0.0f && r.grad_norm > opt.clip) ? (float) (opt.clip / (r.grad_norm + 1e-6)) : 1.0f;
        // AdamW exactly as ggml_opt_step_adamw: decoupled weight decay x *= 1 - lr*wd
        opt_step++;
        const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
        const float b1h = 1.0f / (1.0f - std::pow(b1, (float) opt_step));
        const float b2h = 1.0f / (1.0f - std::pow(b2, (float) opt_step));
        const float keep = 1.0f - opt.lr * opt.weight_decay;
        for (size_t i = 0; i < params.size(); ++i) {
            Param & p = params[i];
            std::vector<float> x(p.m.size());
            ggml_backend_tensor_get(p.t, x.data(), 0, ggml_nbytes(p.t));
            const std::vector<float> & g = grads[i];
            for (size_t j = 0; j < x.size(); ++j) {
                const float gj = g[j] * scale;
                p.m[j] = b1 * p.m[j] + (1.0f - b1) * gj;
                p.v[j] = b2 * p.v[j] + (1.0f - b2) * gj * gj;
                const float mh = p.m[j] * b1h;
                const float vh = p.v[j] * b2h;
                x[j] = x[j] * keep - opt.lr * mh / (std::sqrt(vh) + eps);
            }
            ggml_backend_tensor_set(p.t, x.data(), 0, ggml_nbytes(p.t));
        }
        micro = 0;
        zero_grads();
        r.updated = true;
    }
    r.ms = now_ms() - t0;
    r.compute_bytes = last_compute_bytes;
    return r;
}
