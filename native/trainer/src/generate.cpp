// Sampling with the live adapter, batched: the n samples of a prompt are decoded together in an inference context
// of their own (see gen_context), so GRPO rollouts and votes cost one decode per step for all live samples.
//
// Per prompt: the prompt is decoded once into sequence 0 and its KV cells are shared with sequences 1..G-1
// (llama_memory_seq_cp on a unified KV cache adds sequence ids to the cells, it copies nothing); then each step is ONE
// llama_decode carrying one token for every live sample. More samples than the context's sequences run in waves that
// reuse the prompt's cells.
//
// Sampling is on float: one pass for the max, one vectorizable pass for exp (fast_exp below) and their sum; top-k and
// top-p work on the candidates above a probability threshold (a linear pass plus a sort of a few hundred tokens, not a
// sort of the vocabulary). The reported log-probs are the model's at temperature 1 over the whole vocabulary, before
// temperature, top-k, top-p or the grammar (today's semantics: the log-prob of the token under the model, which is what
// a policy-gradient ratio needs); a sample's logprob is their sum.
//
// Reproducible: sample k of prompt p draws from its own mt19937_64 seeded with (seed, p, k) through std::seed_seq (both specified by
// the C++ standard, the same on every platform), so sample k does not depend on n, on the other samples or on the
// thread count; the logits of one sequence do not depend on which other sequences share its decode (each row of a
// matrix product is computed alone), except that ggml hands products of >= 32 rows to BLAS where that is built in.
//
// Grammar (GBNF): one llama.cpp grammar sampler per sample, used as llama.cpp's common sampler does: the token is drawn
// first and checked alone against the grammar; only when it is rejected is the grammar applied to the whole vocabulary
// and the token drawn again from the allowed ones (that pass costs a walk over every token's text).
#include "engine.h"
#include "util.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

// uniform double in [0, 1) from 53 random bits: identical on every platform for a given seed
double uniform01(std::mt19937_64 & g) { return (double) (g() >> 11) * (1.0 / 9007199254740992.0); }

// exp(x) for x <= 0 in float, written so that the compiler vectorizes a loop of it (no calls, no branches): the
// Cephes/ggml range reduction x = n ln2 + r, |r| <= ln2/2, a degree-6 polynomial for e^r (relative error ~2e-7, the
// float rounding of std::exp), and 2^n put into the exponent bits. Below -87 (e^-87 ~ 1.6e-38, the smallest normal
// float) it returns 0, which is also what a masked -inf logit needs.
inline float fast_exp_nonpos(float x) {
    const bool tiny = !(x >= -87.0f); // also NaN/-inf
    const float xc = tiny ? -87.0f : x;
    const float magic = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits
    const float t = xc * 1.44269504088896341f + magic;
    const float n = t - magic;
    int32_t ti;
    std::memcpy(&ti, &t, 4);
    const int32_t ni = ti - 0x4B400000;
    const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f; // ln2 in two parts (Cephes' C1, C2)
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t pi;
    std::memcpy(&pi, &p, 4);
    pi += ni * (1 << 23);
    float out;
    std::memcpy(&out, &pi, 4);
    return tiny ? 0.0f : out;
}

// The exp pass over the vocabulary per token and sample (the max is util.h's max_of). `omp simd` (compiled with
// -fopenmp-simd or OpenMP: CMakeLists.txt) lets the compiler keep one partial sum per vector lane, which IEEE order
// forbids it otherwise; the result is the same for a given build whatever the thread count or batch.
// out[i] = exp((x[i] - m) * inv_t); returns their sum, added in double (in float the 152k terms would lose ~1e-5)
double exp_shifted(const float * x, float m, float inv_t, float * out, int n) {
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int i = 0; i < n; ++i) {
        out[i] = fast_exp_nonpos((x[i] - m) * inv_t);
        s += (double) out[i];
    }
    return s;
}

struct Live {
    int k = 0;                       // sample index within the prompt
    std::mt19937_64 rng;
    llama_sampler * grammar = nullptr;
    Sample s;
    bool done = false;
};

struct Sampler {
    int V;
    const GenerateOptions & opt;
    std::vector<float> q;            // exp((logit - max) / T) of the current row
    std::vector<int> cand;           // candidate token ids
    std::vector<llama_token_data> all; // the whole vocabulary, for a grammar's rejection pass

    Sampler(int V, const GenerateOptions & opt) : V(V), opt(opt), q(V) {}

    // Draws from the sampling distribution whose unnormalised weights are q (0 = excluded): top-k, then top-p of the
    // renormalised rest, then a draw. Returns -1 when every weight is 0.
    int draw(std::mt19937_64 & rng, double z) {
        if (!(z > 0.0)) return -1;
        const bool cut_k = opt.top_k > 0 && opt.top_k < V, cut_p = opt.top_p < 1.0f;
        if (!cut_k && !cut_p) {
            double r = uniform01(rng) * z;
            int last = -1;
            for (int i = 0; i < V; ++i) {
                if (q[i] <= 0.0f) continue;
                last = i;
                r -= q[i];
                if (r < 0) return i;
            }
            return last; // rounding left r >= 0 after the last token
        }
        // The candidates A(t) = {i : q_i >= t} are a prefix of the descending order. If |A| >= k, the top-k set is in
        // A; if A's mass reaches p of the (top-k) mass, the nucleus is in A too (it is the shortest such prefix).
        // Start with t = z / 1024 (at most 1024 candidates) and lower it 32x until both hold; t = 0 takes every token.
        for (double t = z / 1024.0; ; t = t > z * 1e-12 ? t / 32.0 : 0.0) {
            cand.clear();
            double mass = 0.0;
            for (int i = 0; i < V; ++i) {
                if (q[i] >= t && q[i] > 0.0f) { cand.push_back(i); mass += q[i]; }
            }
            if (cut_k && (int) cand.size() < opt.top_k && t > 0.0) continue;
            std::sort(cand.begin(), cand.end(), [&](int a, int b) { return q[a] > q[b] || (q[a] == q[b] && a < b); });
            if (cut_k && (int) cand.size() > opt.top_k) cand.resize(opt.top_k);
            double kmass = z;
            if (cut_k) { kmass = 0.0; for (int i : cand) kmass += q[i]; }
            if (cut_p) {
                if (mass < opt.top_p * kmass && t > 0.0) continue;
                double cum = 0.0;
                size_t n_keep = 0;
                while (n_keep < cand.size()) { cum += q[cand[n_keep++]]; if (cum >= opt.top_p * kmass) break; }
                cand.resize(n_keep);
            }
            if (cand.empty()) return -1;
            double m = 0.0;
            for (int i : cand) m += q[i];
            double r = uniform01(rng) * m;
            for (int i : cand) { r -= q[i]; if (r < 0) return i; }
            return cand.back();
        }
    }

    // One token for one sample from its logits row; adds its log-prob. Returns -1 when the grammar allows nothing.
    llama_token next(Live & L, const float * logits) {
        const float m = max_of(logits, V);
        const double z1 = exp_shifted(logits, m, 1.0f, q.data(), V);
        const double lse = (double) m + std::log(z1);
        const bool greedy = opt.temperature <= 0.0f;
        double z = z1;
        if (!greedy && opt.temperature != 1.0f) z = exp_shifted(logits, m, 1.0f / opt.temperature, q.data(), V);
        auto pick = [&]() -> int {
            if (!greedy) return draw(L.rng, z);
            int best = -1;
            for (int i = 0; i < V; ++i) if (q[i] > 0.0f && (best < 0 || logits[i] > logits[best])) best = i;
            return best;
        };
        int tok = greedy ? (int) (std::max_element(logits, logits + V) - logits) : pick();
        if (L.grammar && tok >= 0) {
            llama_token_data one = {tok, logits[tok], 0.0f};
            llama_token_data_array arr = {&one, 1, -1, false};
            llama_sampler_apply(L.grammar, &arr);
            if (one.logit == -INFINITY) {
                // rejected: mask the whole vocabulary by the grammar and draw again (a new uniform from the same stream)
                all.resize(V);
                for (int i = 0; i < V; ++i) all[i] = {i, logits[i], 0.0f};
                llama_token_data_array full = {all.data(), (size_t) V, -1, false};
                llama_sampler_apply(L.grammar, &full);
                z = 0.0;
                for (int i = 0; i < V; ++i) {
                    if (all[i].logit == -INFINITY) q[i] = 0.0f;
                    z += q[i];
                }
                tok = pick();
            }
        }
        if (tok < 0) return -1;
        const double lp = (double) logits[tok] - lse;
        L.s.tokens.push_back(tok);
        L.s.logprobs.push_back((float) lp);
        L.s.logprob += lp;
        return tok;
    }
};

} // namespace

// The inference context: a unified KV cache for `seqs` sequences sharing `cells` cells, logits for at most one token
// per sequence per decode. It is separate from the training context (whose ubatch is a whole pack of training
// sequences), shares the model's weights and the adapter's tensors (so it always samples from the live adapter), and
// grows when a request needs more sequences or cells.
llama_context * Engine::gen_context(int seqs, int cells) {
    if (gen_ctx && (int) llama_n_seq_max(gen_ctx) >= seqs && (int) llama_n_ctx(gen_ctx) >= cells) return gen_ctx;
    if (gen_ctx) { llama_free(gen_ctx); gen_ctx = nullptr; }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t) ((cells + 255) / 256 * 256);
    cp.n_batch = std::min<uint32_t>(512, cp.n_ctx);
    cp.n_ubatch = cp.n_batch;
    cp.n_seq_max = (uint32_t) seqs;
    cp.n_outputs_max = (uint32_t) std::max(seqs, 1); // logits buffer: one row per sequence, not one per prompt token
    cp.kv_unified = true;                             // the prompt's cells are shared, not copied, by seq_cp
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.no_perf = true;
    gen_ctx = llama_init_from_model(model, cp);
    if (!gen_ctx) throw EngineError("INTERNAL", "cannot create the inference context");
    if (adapter) {
        float scale = 1.0f;
        llama_adapter_lora * ad = adapter;
        llama_set_adapters_lora(gen_ctx, &ad, 1, &scale);
    }
    return gen_ctx;
}

std::vector<std::vector<Sample>> Engine::generate(const std::vector<std::vector<llama_token>> & prompts, const GenerateOptions & opt) {
    if (opt.n < 1) throw EngineError("BAD_REQUEST", "n must be >= 1");
    if (opt.top_p <= 0.0f || opt.top_p > 1.0f) throw EngineError("BAD_REQUEST", "top_p must be in (0, 1]");
    if (opt.top_k < 0) throw EngineError("BAD_REQUEST", "top_k must be >= 0");
    if (opt.max_tokens < 1) throw EngineError("BAD_REQUEST", "max_tokens must be >= 1");
    const int V = n_vocab();
    const llama_vocab * vocab = llama_model_get_vocab(model);
    size_t longest = 0;
    for (auto & prompt : prompts) {
        if (prompt.empty()) throw EngineError("BAD_REQUEST", "empty prompt");
        if ((int) prompt.size() + opt.max_tokens > n_ctx()) throw EngineError("BAD_REQUEST", "prompt + max_tokens exceeds ctx");
        for (auto t : prompt) if (t < 0 || t >= V) throw EngineError("BAD_REQUEST", "token id out of range");
        longest = std::max(longest, prompt.size());
    }
    if (prompts.empty()) return {};
    // sequences per wave: all n up to 64 (beyond that a step is wide enough to keep the cores busy)
    const int G = std::min(opt.n, 64);
    llama_context * gc = gen_context(G, (int) longest + G * opt.max_tokens + 1);
    llama_memory_t mem = llama_get_memory(gc);
    const int n_batch = (int) llama_n_batch(gc);
    llama_batch b = llama_batch_init(std::max(n_batch, G), 0, 1);
    struct BatchGuard { llama_batch & b; ~BatchGuard() { llama_batch_free(b); } } guard{b};
    auto decode = [&]() {
        const int rc = llama_decode(gc, b);
        if (rc != 0) throw EngineError("INTERNAL", "llama_decode failed (" + std::to_string(rc) + ")");
    };
    auto add = [&](llama_token t, int pos, int seq, bool logits) {
        const int i = b.n_tokens++;
        b.token[i] = t; b.pos[i] = pos; b.n_seq_id[i] = 1; b.seq_id[i][0] = seq; b.logits[i] = logits;
    };

#ifdef _OPENMP
    const int n_samplers = std::max(1, std::min(threads, G));
#else
    const int n_samplers = 1;
#endif
    std::vector<Sampler> samplers;
    for (int i = 0; i < n_samplers; ++i) samplers.emplace_back(V, opt);
    std::vector<Live> live;
    struct GrammarGuard { std::vector<Live> & l; ~GrammarGuard() { for (auto & x : l) if (x.grammar) llama_sampler_free(x.grammar); } } gguard{live};
    std::vector<std::vector<Sample>> out;
    for (size_t pi = 0; pi < prompts.size(); ++pi) {
        const auto & prompt = prompts[pi];
        const int P = (int) prompt.size();
        llama_memory_clear(mem, true);
        for (int at = 0; at < P; at += n_batch) {
            b.n_tokens = 0;
            for (int i = at; i < std::min(P, at + n_batch); ++i) add(prompt[i], i, 0, i == P - 1);
            decode();
        }
        const float * pl = llama_get_logits_ith(gc, -1);
        const std::vector<float> prompt_logits(pl, pl + V);

        std::vector<Sample> samples(opt.n);
        for (int w0 = 0; w0 < opt.n; w0 += G) {
            const int g = std::min(G, opt.n - w0);
            // back to the prompt: drop the previous wave's tokens, share the prompt's cells with sequences 1..g-1
            for (int s = 0; s < G; ++s) llama_memory_seq_rm(mem, s, s == 0 ? P : 0, -1);
            for (int s = 1; s < g; ++s) llama_memory_seq_cp(mem, 0, s, 0, P);
            for (auto & x : live) if (x.grammar) llama_sampler_free(x.grammar);
            live.clear();
            live.resize(g);
            for (int s = 0; s < g; ++s) {
                Live & L = live[s];
                L.k = w0 + s;
                const uint64_t k = (uint64_t) L.k;
                // the prompt's index too: the samples of different prompts of one request must not share their
                // random draws (they would be correlated across prompts, identical where the prompt matters little)
                std::seed_seq seq{(uint32_t) opt.seed, (uint32_t) (opt.seed >> 32), (uint32_t) pi, (uint32_t) k, (uint32_t) (k >> 32)};
                L.rng.seed(seq);
                if (!opt.grammar.empty()) {
                    L.grammar = llama_sampler_init_grammar(vocab, opt.grammar.c_str(), opt.grammar_root.c_str());
                    if (!L.grammar) throw EngineError("BAD_REQUEST", "the grammar does not parse (llama.cpp's message is in the log)");
                }
            }
            std::vector<int> row(g, -1); // batch row of each sample's logits in the last decode; -1: the prompt's
            std::vector<const float *> rows(g);
            std::vector<llama_token> picked(g);
            for (int step = 0; step < opt.max_tokens; ++step) {
                std::vector<int> todo;
                for (int s = 0; s < g; ++s) {
                    if (live[s].done) continue;
                    todo.push_back(s);
                    rows[s] = row[s] < 0 ? prompt_logits.data() : llama_get_logits_ith(gc, row[s]);
                }
                if (todo.empty()) break;
                // the samples' draws are independent (own stream, own grammar): spread them over the decode's threads
                // (ggml's OpenMP pool, which would otherwise spin idle while one thread samples), same result for any
                // thread count
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_samplers) schedule(dynamic, 1)
#endif
                for (int i = 0; i < (int) todo.size(); ++i) {
#ifdef _OPENMP
                    Sampler & sm = samplers[omp_get_thread_num()];
#else
                    Sampler & sm = samplers[0];
#endif
                    picked[todo[i]] = sm.next(live[todo[i]], rows[todo[i]]);
                }
                b.n_tokens = 0;
                for (int s : todo) {
                    Live & L = live[s];
                    const llama_token tok = picked[s];
                    if (tok < 0) { L.done = true; continue; } // the grammar allows no token (and no end)
                    const bool stop = std::find(opt.stop.begin(), opt.stop.end(), tok) != opt.stop.end() || llama_vocab_is_eog(vocab, tok);
                    if (stop || step + 1 == opt.max_tokens) { L.done = true; continue; }
                    if (L.grammar) llama_sampler_accept(L.grammar, tok);
                    row[s] = b.n_tokens;
                    add(tok, P + step, s, true);
                }
                if (b.n_tokens == 0) break;
                decode();
            }
            for (int s = 0; s < g; ++s) samples[w0 + s] = std::move(live[s].s);
        }
        out.push_back(std::move(samples));
    }
    llama_memory_clear(mem, true);
    return out;
}

std::string Engine::detokenize(const std::vector<llama_token> & tokens) const {
    const llama_vocab * vocab = llama_model_get_vocab(model);
    std::string out(tokens.size() * 8 + 16, '\0');
    int n = llama_detokenize(vocab, tokens.data(), (int32_t) tokens.size(), out.data(), (int32_t) out.size(), false, false);
    if (n < 0) { out.resize(-n); n = llama_detokenize(vocab, tokens.data(), (int32_t) tokens.size(), out.data(), (int32_t) out.size(), false, false); }
    out.resize(std::max(n, 0));
    return out;
}

bool Engine::is_eog(llama_token t) const { return llama_vocab_is_eog(llama_model_get_vocab(model), t); }
