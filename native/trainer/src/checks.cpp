// Engine self-checks for the `check` command: finite-difference gradients, frozen base, resume determinism and
// reproducible sampling. The live adapter/optimizer state is snapshotted first and restored at the end.
#include "checks.h"
#include "util.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <unistd.h>

using json = nlohmann::json;

namespace {

Sequence hard(const std::vector<llama_token> & toks, const std::vector<float> & w) {
    Sequence s;
    s.tokens = toks;
    s.targets.resize(toks.size());
    for (size_t i = 1; i < toks.size(); ++i) s.targets[i] = {{toks[i], w[i]}};
    return s;
}

// every lora_b tensor set to value() element by element (0: the adapter adds exactly nothing; random: it moves the model)
void fill_lora_b(Engine & eng, const std::function<float()> & value) {
    for (auto & p : eng.params) {
        if (p.name.size() < 7 || p.name.compare(p.name.size() - 7, 7, ".lora_b") != 0) continue;
        std::vector<float> x(ggml_nelements(p.t));
        for (auto & v : x) v = value();
        ggml_backend_tensor_set(p.t, x.data(), 0, ggml_nbytes(p.t));
    }
}

std::vector<llama_token> some_tokens(int n, int n_vocab, int salt) {
    std::vector<llama_token> t;
    for (int i = 0; i < n; ++i) t.push_back((llama_token) ((i * 7919 + salt * 104729 + 13) % std::min(n_vocab, 30000)));
    return t;
}

// directional finite difference along the (normalised) gradient restricted to params selected by `use`:
// compares (L(x+eps d) - L(x-eps d)) / 2 eps with |g_sel|.
json fd_check(Engine & eng, const std::string & name, const std::vector<Sequence> & batch, const std::function<bool(const Param &)> & use) {
    eng.zero_grads();
    eng.accumulate_grads(batch);
    std::vector<std::vector<float>> g(eng.params.size()), x0(eng.params.size());
    double nsq = 0.0;
    for (size_t i = 0; i < eng.params.size(); ++i) {
        auto & p = eng.params[i];
        x0[i].resize(ggml_nelements(p.t));
        ggml_backend_tensor_get(p.t, x0[i].data(), 0, ggml_nbytes(p.t));
        if (!use(p)) continue;
        g[i].resize(x0[i].size());
        ggml_backend_tensor_get(p.grad, g[i].data(), 0, ggml_nbytes(p.grad));
        for (float v : g[i]) nsq += (double) v * v;
    }
    eng.zero_grads();
    const double gn = std::sqrt(nsq);
    if (gn == 0.0) return {{"name", name}, {"ok", false}, {"detail", "zero gradient"}};
    const double eps = getenv("SQUILL_FD_EPS") ? atof(getenv("SQUILL_FD_EPS")) : 1e-3;
    auto loss_at = [&](double t) {
        for (size_t i = 0; i < eng.params.size(); ++i) {
            if (g[i].empty()) continue;
            std::vector<float> x = x0[i];
            for (size_t j = 0; j < x.size(); ++j) x[j] += (float) (t * g[i][j] / gn);
            ggml_backend_tensor_set(eng.params[i].t, x.data(), 0, x.size() * sizeof(float));
        }
        return eng.eval_loss(batch);
    };
    const double lp = loss_at(eps), lm = loss_at(-eps);
    loss_at(0.0);
    const double num = (lp - lm) / (2 * eps);
    const double rel = std::fabs(num - gn) / std::max(gn, 1e-12);
    char buf[200];
    std::snprintf(buf, sizeof buf, "relative error %.2e (analytic %.6g, numeric %.6g)", rel, gn, num);
    return {{"name", name}, {"ok", rel < 1e-2}, {"detail", buf}};
}

std::vector<float> all_grads(Engine & eng) {
    std::vector<float> out;
    for (auto & p : eng.params) {
        std::vector<float> g(ggml_nelements(p.grad));
        ggml_backend_tensor_get(p.grad, g.data(), 0, ggml_nbytes(p.grad));
        out.insert(out.end(), g.begin(), g.end());
    }
    return out;
}

// Sequences packed into one graph (block-diagonal causal attention) must each get the loss and gradient they get
// alone. Margin: the two computations differ only in float summation order (wider matrix products), which moves
// a loss of this size by ~1e-6 relative; a token attending across sequences changes it by O(1).
json packed_check(Engine & eng, const std::vector<Sequence> & batch) {
    if (eng.pack(batch).size() != 1) return {{"name", "packed_equals_separate"}, {"ok", false}, {"detail", "the check's sequences did not pack into one graph"}};
    const std::vector<double> packed = eng.sequence_losses(batch, true), alone = eng.sequence_losses(batch, false);
    double loss_rel = 0.0;
    for (size_t i = 0; i < batch.size(); ++i) loss_rel = std::max(loss_rel, std::fabs(packed[i] - alone[i]) / std::max(std::fabs(alone[i]), 1e-9));
    eng.zero_grads();
    eng.accumulate_grads(batch);
    const std::vector<float> gp = all_grads(eng);
    eng.zero_grads();
    for (auto & s : batch) eng.accumulate_grads({s});
    const std::vector<float> gs = all_grads(eng);
    eng.zero_grads();
    double diff = 0.0, norm = 0.0;
    for (size_t i = 0; i < gp.size(); ++i) { diff += (double) (gp[i] - gs[i]) * (gp[i] - gs[i]); norm += (double) gs[i] * gs[i]; }
    const double grad_rel = std::sqrt(diff / std::max(norm, 1e-30));
    char buf[200];
    std::snprintf(buf, sizeof buf, "%zu sequences in one graph: max relative loss difference %.2e, gradient %.2e", batch.size(), loss_rel, grad_rel);
    return {{"name", "packed_equals_separate"}, {"ok", loss_rel < 1e-4 && grad_rel < 1e-3}, {"detail", buf}};
}

// Greedy decoding of n samples together (one decode per step for all) gives each sample the tokens of decoding it
// alone, and so do top_k 1 and a nucleus of p 1e-6 at T = 1 (each keeps only the top token). A row's logits do not
// depend on the other rows of its decode except through rounding: a 1-row product takes ggml's vector dot, a 4-row
// one a tiled kernel (~1e-6 apart), and the K/V cache is F16, where such a difference can move a value by one F16 step
// (~5e-4 relative); measured: log-probs within ~1e-3. A batching error (another sequence's cells, a wrong position or
// row) changes log-probs by whole units on this random model, so the margin is 1e-2, and a different token is accepted
// only where the two runs' choices were tied within it (never seen; a tie under rounding is not a batching error).
json batched_greedy_check(Engine & eng, const std::vector<std::vector<llama_token>> & prompts) {
    const double margin = 1e-2;
    GenerateOptions go;
    go.temperature = 0.0f; go.max_tokens = 12; go.seed = 7;
    go.n = 1;
    const Sample one = eng.generate(prompts, go).at(0).at(0);
    double worst = 0.0;
    std::string why;
    auto same = [&](const Sample & s) {
        for (size_t j = 0; j < std::min(s.tokens.size(), one.tokens.size()); ++j) {
            const double d = std::fabs(s.logprobs[j] - one.logprobs[j]);
            worst = std::max(worst, d);
            if (d > margin) { why = "; log-prob differs by " + std::to_string(d) + " at token " + std::to_string(j); return false; }
            if (s.tokens[j] != one.tokens[j]) { why = "; a rounding tie at token " + std::to_string(j); return true; }
        }
        if (s.tokens.size() != one.tokens.size()) { why = "; lengths differ"; return false; }
        return true;
    };
    bool ok = true;
    go.n = 4;
    for (auto & s : std::vector<Sample>(eng.generate(prompts, go).at(0))) ok = ok && same(s);
    go.temperature = 1.0f; go.top_k = 1;
    for (auto & s : std::vector<Sample>(eng.generate(prompts, go).at(0))) ok = ok && same(s);
    go.top_k = 0; go.top_p = 1e-6f;
    for (auto & s : std::vector<Sample>(eng.generate(prompts, go).at(0))) ok = ok && same(s);
    char buf[64];
    std::snprintf(buf, sizeof buf, ", max |log-prob diff| %.2e", worst);
    return {{"name", "generate_batched_equals_single"}, {"ok", ok},
            {"detail", "greedy n 4, top_k 1 and top_p 1e-6 at T 1 vs greedy n 1, 12 tokens" + std::string(buf) + why}};
}

// Sampling at T = 1 from the whole vocabulary under a GBNF grammar: every sample's text is one of the grammar's words
// and the sample ends there (an end-of-generation token, or nothing left that the grammar allows).
json grammar_check(Engine & eng, const std::vector<std::vector<llama_token>> & prompts) {
    GenerateOptions go;
    go.n = 4; go.temperature = 1.0f; go.max_tokens = 10; go.seed = 11;
    go.grammar = "root ::= \"yes\" | \"no\" | \"maybe\"";
    std::string texts;
    bool ok = true;
    for (auto & s : std::vector<Sample>(eng.generate(prompts, go).at(0))) {
        std::vector<llama_token> body = s.tokens;
        if (!body.empty() && eng.is_eog(body.back())) body.pop_back();
        const std::string t = eng.detokenize(body);
        ok = ok && (t == "yes" || t == "no" || t == "maybe") && s.tokens.size() < (size_t) go.max_tokens;
        texts += (texts.empty() ? "" : ", ") + t;
    }
    return {{"name", "generate_grammar"}, {"ok", ok}, {"detail", "root ::= yes | no | maybe, n 4, T 1: " + texts}};
}

} // namespace

// logprobs with reference = true are the base model's: equal to the policy's once every lora_b is zero (the adapter
// then adds exactly +0 to each product, so the margin 1e-5 only covers summation order), and different from the
// policy's with the random non-zero B of run_checks (all layers perturbed by N(0, 0.05): far above 1e-4)
json reference_check(Engine & eng, const std::vector<llama_token> & toks) {
    const auto ref = eng.logprobs({toks}, true)[0];
    const auto pol = eng.logprobs({toks}, false)[0];
    fill_lora_b(eng, [] { return 0.0f; });
    const auto base = eng.logprobs({toks}, false)[0];
    double same = 0.0, moved = 0.0;
    for (size_t i = 1; i < ref.size(); ++i) {
        same = std::max(same, std::fabs(ref[i] - base[i]));
        moved = std::max(moved, std::fabs(ref[i] - pol[i]));
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "max |reference - base| %.3g (<= 1e-5), max |reference - policy| %.3g (> 1e-4)", same, moved);
    return {{"name", "reference_logprobs_are_the_base"}, {"ok", same <= 1e-5 && moved > 1e-4}, {"detail", buf}};
}

// with a reference adapter (GRPO's start), the reference pass applies it: a copy of the live adapter saved and set
// as the reference gives the policy's log-probs (same weights; 1e-5 covers summation order), and it stays frozen
// while the live adapter moves (its B zeroed: the policy becomes the base, the reference does not)
json reference_adapter_check(Engine & eng, const std::vector<llama_token> & toks) {
    const std::string file = "/tmp/squill-check-reference-" + std::to_string(getpid()) + ".gguf";
    eng.save_adapter(file);
    eng.set_reference(file);
    std::remove(file.c_str());
    const auto pol = eng.logprobs({toks}, false)[0];
    const auto ref = eng.logprobs({toks}, true)[0];
    fill_lora_b(eng, [] { return 0.0f; });
    const auto ref_after = eng.logprobs({toks}, true)[0];
    const auto pol_after = eng.logprobs({toks}, false)[0];
    eng.set_reference("");
    double same = 0.0, frozen = 0.0, moved = 0.0;
    for (size_t i = 1; i < ref.size(); ++i) {
        same = std::max(same, std::fabs(ref[i] - pol[i]));
        frozen = std::max(frozen, std::fabs(ref_after[i] - ref[i]));
        moved = std::max(moved, std::fabs(pol_after[i] - pol[i]));
    }
    char buf[200];
    std::snprintf(buf, sizeof buf, "max |reference - policy| %.3g, reference after the policy moved %.3g (<= 1e-5), the policy moved %.3g (> 1e-4)", same, frozen, moved);
    return {{"name", "reference_adapter_is_frozen"}, {"ok", same <= 1e-5 && frozen <= 1e-5 && moved > 1e-4}, {"detail", buf}};
}

// A distillation sequence over toks whose teacher at every position >= 2 is the live model's own top-k (topk) with
// the log-probs moved: the k tokens keep their order but get the probabilities `mass` (so the tail is 1 - sum).
Sequence distill_sequence(Engine & eng, const std::vector<llama_token> & toks, Divergence d, const std::vector<float> & mass, float lambda) {
    const auto top = eng.topk({toks}, {1}, (int) mass.size())[0]; // positions 1..T-1
    Sequence s;
    s.tokens = toks;
    s.targets.resize(toks.size());
    s.divergence = d;
    s.weight.assign(toks.size(), 0.0f);
    for (size_t i = 2; i < toks.size(); ++i) {
        s.weight[i] = lambda;
        for (size_t k = 0; k < mass.size(); ++k) s.targets[i].push_back({top[i - 1][k].first, std::log(mass[k])});
    }
    return s;
}

// Against its own top-k with its own log-probs the model's divergence is ~0 in both directions (the coarsened
// distributions are the same: the teacher's tail mass is exactly the student's), and so is its gradient. Margin:
// log-probs pass through F32 (~1e-7 relative), and each position's D is a sum of k + 1 such terms; a wrong tail or
// sign gives D of order 0.1 on this random model.
json self_divergence_check(Engine & eng, const std::vector<llama_token> & toks) {
    const int k = 8;
    const auto top = eng.topk({toks}, {1}, k)[0];
    double worst = 0.0, grad = 0.0;
    bool sorted = true;
    for (Divergence d : {Divergence::reverse_kl, Divergence::forward_kl}) {
        Sequence s;
        s.tokens = toks;
        s.targets.resize(toks.size());
        s.divergence = d;
        s.weight.assign(toks.size(), 1.0f);
        for (size_t i = 1; i < toks.size(); ++i) {
            for (int j = 0; j < k; ++j) {
                s.targets[i].push_back(top[i - 1][j]);
                if (j > 0) sorted = sorted && top[i - 1][j].second <= top[i - 1][j - 1].second;
            }
        }
        worst = std::max(worst, std::fabs(eng.eval_loss({s})) / (toks.size() - 1));
        eng.zero_grads();
        eng.accumulate_grads({s});
        for (float g : all_grads(eng)) grad = std::max(grad, (double) std::fabs(g));
        eng.zero_grads();
    }
    char buf[200];
    std::snprintf(buf, sizeof buf, "top-%d sorted: %s; max |D| per position %.2e (<= 1e-4), max |gradient| %.2e (<= 1e-3)", k, sorted ? "yes" : "no", worst, grad);
    return {{"name", "divergence_from_itself_is_zero"}, {"ok", sorted && worst <= 1e-4 && grad <= 1e-3}, {"detail", buf}};
}

json run_checks(Engine & eng) {
    json out = json::array();
    const Engine::Snapshot saved = eng.snapshot();
    const int V = eng.n_vocab();
    try {
        // give B non-zero values so that every LoRA tensor has a gradient
        std::mt19937_64 g(1234);
        std::normal_distribution<float> nd(0.0f, 0.05f);
        fill_lora_b(eng, [&] { return nd(g); });
        auto all = [](const Param &) { return true; };
        auto kv = [](const Param & p) { return p.name.find("attn_k.") != std::string::npos || p.name.find("attn_v.") != std::string::npos; };
        const auto t1 = some_tokens(12, V, 1), t2 = some_tokens(9, V, 2);
        std::vector<float> masked = {0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 0, 1};
        std::vector<float> negative = {0, 1, -0.5f, 1, 0, -1, 0.25f, 1, -2};
        out.push_back(fd_check(eng, "fd_masked_weights", {hard(t1, masked)}, all));
        out.push_back(fd_check(eng, "fd_negative_weights", {hard(t1, masked), hard(t2, negative)}, all));
        Sequence soft;
        soft.tokens = t2;
        soft.targets.resize(t2.size());
        for (size_t i = 2; i < t2.size(); ++i) soft.targets[i] = {{t2[i], 0.6f}, {(t2[i] + 11) % V, 0.3f}, {(t2[i] + 97) % V, 0.1f}};
        out.push_back(fd_check(eng, "fd_soft_labels", {soft}, all));
        // KID's divergence, both directions, against a teacher that differs from the student with 28% of its mass in
        // the tail bucket (train.cpp's header derives the gradients)
        const std::vector<float> teacher_mass = {0.35f, 0.2f, 0.1f, 0.05f, 0.02f};
        const Sequence rkl = distill_sequence(eng, t2, Divergence::reverse_kl, teacher_mass, 0.7f);
        out.push_back(fd_check(eng, "fd_distill_reverse_kl", {rkl}, all));
        out.push_back(fd_check(eng, "fd_distill_forward_kl", {distill_sequence(eng, t2, Divergence::forward_kl, teacher_mass, 0.7f)}, all));
        out.push_back(fd_check(eng, "fd_distill_with_cross_entropy", {hard(t1, masked), rkl}, all));
        out.push_back(self_divergence_check(eng, t1));
        bool has_kv = false;
        for (auto & p : eng.params) has_kv = has_kv || kv(p);
        if (has_kv) out.push_back(fd_check(eng, "fd_lora_kv", {hard(t1, masked)}, kv));
        else out.push_back({{"name", "fd_lora_kv"}, {"ok", true}, {"detail", "skipped: adapter has no k/v targets"}});
        {
            const int n = std::max(4, std::min(40, eng.n_ctx() / 4)); // three sequences that fit one graph
            const auto t3 = some_tokens(n, V, 4);
            out.push_back(packed_check(eng, {hard(t3, std::vector<float>(n, 1.0f)), hard(t1, masked), soft, rkl}));
        }

        // frozen base + resume determinism
        StepOptions so;
        so.lr = 1e-3f;
        so.weight_decay = 0.01f;
        so.clip = 1.0f;
        const std::vector<Sequence> b = {hard(t1, masked)};
        const uint64_t before = eng.base_checksum();
        std::vector<double> first, second;
        const std::string ck = "/tmp/squill-check-" + std::to_string(getpid()) + ".gguf";
        eng.step(b, so);
        eng.step(b, so);
        eng.save_checkpoint(ck);
        for (int i = 0; i < 3; ++i) first.push_back(eng.step(b, so).loss);
        const uint64_t after = eng.base_checksum();
        out.push_back({{"name", "base_weights_frozen"}, {"ok", before == after},
                       {"detail", "checksum before " + std::to_string(before) + ", after 5 steps " + std::to_string(after)}});
        eng.restore_checkpoint(ck);
        for (int i = 0; i < 3; ++i) second.push_back(eng.step(b, so).loss);
        std::remove(ck.c_str());
        double md = 0.0;
        for (size_t i = 0; i < first.size(); ++i) md = std::max(md, std::fabs(first[i] - second[i]));
        char buf[160];
        std::snprintf(buf, sizeof buf, "save at step 2, steps 3..5: max |loss diff| %.3g", md);
        out.push_back({{"name", "resume_identical"}, {"ok", md <= 1e-6}, {"detail", buf}});

        GenerateOptions go;
        go.n = 2; go.temperature = 1.0f; go.top_p = 0.9f; go.max_tokens = 8; go.seed = 42;
        const std::vector<std::vector<llama_token>> prompts = {some_tokens(5, V, 3)};
        auto g1 = eng.generate(prompts, go), g2 = eng.generate(prompts, go);
        bool same = true;
        for (size_t k = 0; k < g1[0].size(); ++k) same = same && g1[0][k].tokens == g2[0][k].tokens && g1[0][k].logprob == g2[0][k].logprob;
        out.push_back({{"name", "generate_reproducible"}, {"ok", same}, {"detail", "seed 42, n 2, top_p 0.9, twice"}});

        // sample k draws from its own stream (seed, k): with n 3 the first two samples are those of n 2
        go.n = 3;
        auto g3 = eng.generate(prompts, go);
        bool prefix = true;
        for (size_t k = 0; k < 2; ++k) prefix = prefix && g3[0][k].tokens == g1[0][k].tokens;
        out.push_back({{"name", "generate_sample_k_independent_of_n"}, {"ok", prefix}, {"detail", "seed 42, top_p 0.9: samples 0 and 1 of n 3 equal those of n 2"}});

        // two identical prompts in one request: their samples draw from different streams (seed, prompt, k). The
        // check model is random, its next-token distribution near uniform at T = 1, so 8 equal tokens by chance have
        // a probability far below 1e-20
        go.n = 1;
        auto twin = eng.generate({prompts[0], prompts[0]}, go);
        out.push_back({{"name", "generate_prompts_draw_independently"}, {"ok", twin[0][0].tokens != twin[1][0].tokens},
                       {"detail", "the same prompt twice in one request, seed 42, T 1: different samples"}});

        out.push_back(batched_greedy_check(eng, prompts));
        out.push_back(grammar_check(eng, prompts));
        out.push_back(reference_check(eng, t1));
        // reference_check left B zero: give it random values again for the copy to differ from the base
        fill_lora_b(eng, [&] { return nd(g); });
        out.push_back(reference_adapter_check(eng, t1));
    } catch (const std::exception & e) {
        out.push_back({{"name", "exception"}, {"ok", false}, {"detail", e.what()}});
    }
    eng.restore(saved);
    return out;
}
