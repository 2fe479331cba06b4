// Sampling with the live adapter through llama.cpp's ordinary decode path (training flag off, KV cache on).
#include "engine.h"
#include "access.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace {
// uniform double in [0, 1) from 53 random bits: identical on every platform for a given seed
double uniform01(std::mt19937_64 & g) { return (double) (g() >> 11) * (1.0 / 9007199254740992.0); }
}

std::vector<std::vector<Sample>> Engine::generate(const std::vector<std::vector<llama_token>> & prompts, const GenerateOptions & opt) {
    if (opt.n < 1) throw EngineError("BAD_REQUEST", "n must be >= 1");
    if (opt.top_p <= 0.0f || opt.top_p > 1.0f) throw EngineError("BAD_REQUEST", "top_p must be in (0, 1]");
    const int V = n_vocab();
    const llama_vocab * vocab = llama_model_get_vocab(model);
    llama_memory_t mem = llama_get_memory(ctx);
    std::mt19937_64 g(opt.seed);
    std::vector<std::vector<Sample>> out;

    auto decode = [&](const llama_token * toks, int n, int pos0) {
        llama_batch b = llama_batch_init(n, 0, 1);
        b.n_tokens = n;
        for (int i = 0; i < n; ++i) {
            b.token[i] = toks[i]; b.pos[i] = pos0 + i; b.n_seq_id[i] = 1; b.seq_id[i][0] = 0; b.logits[i] = i == n - 1;
        }
        const int rc = llama_decode(ctx, b);
        llama_batch_free(b);
        if (rc != 0) throw EngineError("INTERNAL", "llama_decode failed (" + std::to_string(rc) + ")");
    };

    std::vector<double> logp(V);
    std::vector<int> order(V);
    for (auto & prompt : prompts) {
        if (prompt.empty()) throw EngineError("BAD_REQUEST", "empty prompt");
        if ((int) prompt.size() + opt.max_tokens > n_ctx()) throw EngineError("BAD_REQUEST", "prompt + max_tokens exceeds ctx");
        for (auto t : prompt) if (t < 0 || t >= V) throw EngineError("BAD_REQUEST", "token id out of range");
        // the prompt is decoded once; each sample drops its own tokens from the cache and restarts from its logits
        llama_memory_clear(mem, true);
        decode(prompt.data(), (int) prompt.size(), 0);
        const float * pl = llama_get_logits_ith(ctx, -1);
        const std::vector<float> prompt_logits(pl, pl + V);
        const int n_prompt = (int) prompt.size();

        std::vector<Sample> samples;
        for (int k = 0; k < opt.n; ++k) {
            llama_memory_seq_rm(mem, 0, n_prompt, -1);
            Sample s;
            std::vector<float> logits = prompt_logits;
            for (int step = 0; step < opt.max_tokens; ++step) {
                // log-softmax in double: the reported logprob is the model's (temperature 1, no truncation)
                double mx = -INFINITY;
                for (int i = 0; i < V; ++i) mx = std::max(mx, (double) logits[i]);
                double z = 0.0;
                for (int i = 0; i < V; ++i) z += std::exp((double) logits[i] - mx);
                const double lz = mx + std::log(z);
                for (int i = 0; i < V; ++i) logp[i] = logits[i] - lz;

                llama_token tok;
                if (opt.temperature <= 0.0f) {
                    tok = (llama_token) (std::max_element(logp.begin(), logp.end()) - logp.begin());
                } else {
                    // sampling distribution: softmax(logits / T), truncated to the top-p nucleus
                    std::vector<double> q(V);
                    double qs = 0.0;
                    double qmax = 0.0;
                    for (int i = 0; i < V; ++i) qmax = std::max(qmax, logp[i]);
                    for (int i = 0; i < V; ++i) { q[i] = std::exp((logp[i] - qmax) / opt.temperature); qs += q[i]; }
                    for (auto & x : q) x /= qs;
                    std::iota(order.begin(), order.end(), 0);
                    int n_keep = V;
                    if (opt.top_p < 1.0f) {
                        std::sort(order.begin(), order.end(), [&](int a, int b) { return q[a] > q[b] || (q[a] == q[b] && a < b); });
                        double cum = 0.0;
                        for (n_keep = 0; n_keep < V; ) { cum += q[order[n_keep++]]; if (cum >= opt.top_p) break; }
                    }
                    double mass = 0.0;
                    for (int i = 0; i < n_keep; ++i) mass += q[order[i]];
                    double r = uniform01(g) * mass;
                    tok = (llama_token) order[n_keep - 1];
                    for (int i = 0; i < n_keep; ++i) { r -= q[order[i]]; if (r < 0) { tok = order[i]; break; } }
                }
                s.tokens.push_back(tok);
                s.logprob += logp[tok];
                const bool stop = std::find(opt.stop.begin(), opt.stop.end(), tok) != opt.stop.end() || llama_vocab_is_eog(vocab, tok);
                if (stop || step + 1 == opt.max_tokens) break;
                decode(&tok, 1, n_prompt + step);
                const float * l = llama_get_logits_ith(ctx, -1);
                logits.assign(l, l + V);
            }
            samples.push_back(std::move(s));
        }
        out.push_back(std::move(samples));
    }
    llama_memory_clear(mem, true);
    return out;
}
