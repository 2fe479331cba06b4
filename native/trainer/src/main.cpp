// squill-trainer: JSON Lines protocol on stdin/stdout. stdout carries only protocol lines; llama.cpp/ggml logs
// go to stderr. One request at a time, answered in order.
#include "engine.h"
#include "bench.h"
#include "checks.h"
#include "util.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>
#include <iostream>
#include <string>

using json = nlohmann::json;

static const char * VERSION = "0.1.0";

static void emit(const json & j) {
    std::string s = j.dump(-1, ' ', false, json::error_handler_t::replace);
    std::fwrite(s.data(), 1, s.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

static void log_to_stderr(ggml_log_level level, const char * text, void *) {
    if (level == GGML_LOG_LEVEL_DEBUG) return;
    std::fputs(text, stderr);
}

static std::vector<llama_token> tokens_of(const json & j, const char * what) {
    if (!j.is_array()) throw EngineError("BAD_REQUEST", std::string(what) + " must be an array of token ids");
    std::vector<llama_token> out;
    for (auto & t : j) {
        if (!t.is_number_integer()) throw EngineError("BAD_REQUEST", std::string(what) + " must hold integers");
        out.push_back(t.get<llama_token>());
    }
    return out;
}

// [[tok, x], ...]: a position's (token, weight | prob | log-prob) pairs
static std::vector<std::pair<llama_token, float>> pairs_of(const json & j, const char * what) {
    if (!j.is_array()) throw EngineError("BAD_REQUEST", std::string(what) + "[i] must be a list of [token, number]");
    std::vector<std::pair<llama_token, float>> out;
    for (auto & e : j) {
        if (!e.is_array() || e.size() != 2 || !e[0].is_number_integer() || !e[1].is_number()) {
            throw EngineError("BAD_REQUEST", std::string(what) + " entries are [token, number]");
        }
        out.push_back({e[0].get<llama_token>(), e[1].get<float>()});
    }
    return out;
}

// {"tokens":[...],"weights":[...]} or {"tokens":[...],"soft":[[[tok,prob],...] per position], "weights"?}, or a
// distillation sequence {"tokens":[...],"weights":[lambda per position],"teacher":[[[tok,logp],...] per position],
// "divergence":"reverse_kl"|"forward_kl"}
static Sequence parse_sequence(const json & j) {
    if (!j.is_object() || !j.contains("tokens")) throw EngineError("BAD_REQUEST", "batch item needs tokens");
    Sequence s;
    s.tokens = tokens_of(j["tokens"], "tokens");
    const size_t T = s.tokens.size();
    s.targets.resize(T);
    std::vector<float> w(T, 1.0f);
    const bool has_w = j.contains("weights");
    if (has_w) {
        const auto & jw = j["weights"];
        if (!jw.is_array() || jw.size() != T) throw EngineError("BAD_REQUEST", "weights must have one number per token");
        for (size_t i = 0; i < T; ++i) w[i] = jw[i].get<float>();
    }
    if (j.contains("teacher")) {
        const std::string div = j.value("divergence", std::string("reverse_kl"));
        if (div == "reverse_kl") s.divergence = Divergence::reverse_kl;
        else if (div == "forward_kl") s.divergence = Divergence::forward_kl;
        else throw EngineError("BAD_REQUEST", "divergence must be reverse_kl or forward_kl");
        if (!has_w) throw EngineError("BAD_REQUEST", "a distillation sequence needs weights (the divergence's weight per position)");
        if (j.contains("soft")) throw EngineError("BAD_REQUEST", "a sequence has either soft labels or a teacher");
        const auto & jt = j["teacher"];
        if (!jt.is_array() || jt.size() != T) throw EngineError("BAD_REQUEST", "teacher must have one entry per token position");
        for (size_t i = 1; i < T; ++i) s.targets[i] = pairs_of(jt[i], "teacher");
        s.weight = w;
    } else if (j.contains("soft")) {
        const auto & js = j["soft"];
        if (!js.is_array() || js.size() != T) throw EngineError("BAD_REQUEST", "soft must have one entry per token position");
        for (size_t i = 1; i < T; ++i) {
            for (auto & [tok, p] : pairs_of(js[i], "soft")) s.targets[i].push_back({tok, w[i] * p});
        }
    } else {
        if (!has_w) throw EngineError("BAD_REQUEST", "batch item needs weights or soft");
        for (size_t i = 1; i < T; ++i) s.targets[i] = {{s.tokens[i], w[i]}};
    }
    return s;
}

static json handle(Engine & eng, const std::string & cmd, const json & req, bool & quit) {
    if (cmd == "shutdown") { quit = true; return json::object(); }
    if (cmd == "stats") {
        json dm = json::array();
        for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
            ggml_backend_dev_t d = ggml_backend_dev_get(i);
            size_t free = 0, total = 0;
            ggml_backend_dev_memory(d, &free, &total);
            dm.push_back({{"name", ggml_backend_dev_name(d)}, {"free", free}, {"total", total}});
        }
        return {{"rss", rss_bytes(false)}, {"peak_rss", rss_bytes(true)}, {"device_memory", dm},
                {"compute_bytes", eng.last_compute_bytes}};
    }
    if (cmd == "load") {
        LoadOptions o;
        if (!req.contains("model")) throw EngineError("BAD_REQUEST", "load needs model");
        o.model = req["model"].get<std::string>();
        o.threads = req.value("threads", 0);
        o.ctx = req.value("ctx", 512);
        o.seed = req.value("seed", (uint64_t) 0);
        o.loss_chunk = req.value("loss_chunk", 0);
        if (req.contains("loss_memory")) o.loss_bytes = req["loss_memory"].get<size_t>();
        if (req.contains("lora")) {
            const auto & l = req["lora"];
            o.fresh = true;
            o.rank = l.value("rank", 8);
            o.alpha = l.value("alpha", 2.0f * o.rank);
            o.lora_seed = l.value("seed", o.seed);
            o.targets = l.value("targets", std::vector<std::string>{"q", "k", "v", "o", "gate", "up", "down"});
        }
        o.adapter = req.value("adapter", std::string());
        o.checkpoint = req.value("checkpoint", std::string());
        o.reference = req.value("reference", std::string());
        eng.load(o);
        // every op of a training step on some backend, or a LOAD_FAILED naming the missing ones (op_check.cpp)
        json warnings = eng.check_training_ops();
        return {{"warnings", warnings}, {"n_vocab", eng.n_vocab()}, {"n_ctx", eng.n_ctx()}, {"n_layer", eng.n_layer()}, {"n_embd", eng.n_embd()},
                {"trainable_params", eng.trainable_params()}, {"base_type", eng.base_type()}, {"step", eng.opt_step}};
    }
    if (cmd == "sgemm_peak") return sgemm_peak(req);
    if (!eng.loaded()) throw EngineError("NOT_LOADED", "no model loaded");
    if (cmd == "ops") {
        json ops = json::array();
        for (auto & s : eng.training_op_support()) ops.push_back({{"op", s.op}, {"example", s.example}, {"backends", s.backends}});
        return {{"ops", ops}};
    }
    if (cmd == "step") {
        if (!req.contains("batch") || !req["batch"].is_array()) throw EngineError("BAD_REQUEST", "step needs batch");
        std::vector<Sequence> batch;
        for (auto & b : req["batch"]) batch.push_back(parse_sequence(b));
        StepOptions o;
        if (!req.contains("lr")) throw EngineError("BAD_REQUEST", "step needs lr");
        o.lr = req["lr"].get<float>();
        o.weight_decay = req.value("weight_decay", 0.0f);
        o.clip = req.contains("clip") && !req["clip"].is_null() ? req["clip"].get<float>() : 0.0f;
        o.accumulate = req.value("accumulate", 1);
        o.profile = req.value("profile", false);
        StepResult r = eng.step(batch, o);
        json out = {{"loss", r.loss}, {"tokens", r.tokens}, {"grad_norm", r.grad_norm}, {"ms", r.ms}, {"step", eng.opt_step},
                {"updated", r.updated}, {"compute_bytes", r.compute_bytes}};
        if (r.distill.positions > 0) out["distill"] = {{"kd", r.distill.kd}, {"positions", r.distill.positions}, {"agree", r.distill.agree}};
        if (o.profile) {
            json rows = json::array();
            for (auto & row : r.profile) rows.push_back({{"op", row.key}, {"ms", row.ms}, {"count", row.count}, {"gflop", row.gflop}});
            out["profile"] = {{"ms", r.profile_ms}, {"ops", rows}};
        }
        return out;
    }
    if (cmd == "logprobs") {
        std::vector<std::vector<llama_token>> seqs;
        for (auto & s : req.at("sequences")) seqs.push_back(tokens_of(s, "sequences"));
        return {{"logprobs", eng.logprobs(seqs, req.value("reference", false))}};
    }
    if (cmd == "topk") {
        std::vector<std::vector<llama_token>> seqs;
        for (auto & s : req.at("sequences")) seqs.push_back(tokens_of(s, "sequences"));
        std::vector<int> from;
        if (req.contains("from")) {
            if (!req["from"].is_array() || req["from"].size() != seqs.size()) throw EngineError("BAD_REQUEST", "from must have one position per sequence");
            for (auto & f : req["from"]) from.push_back(f.get<int>());
        }
        json out = json::array();
        for (auto & per : eng.topk(seqs, from, req.value("k", 1), req.value("reference", false))) {
            json positions = json::array();
            for (auto & t : per) {
                json pairs = json::array();
                for (auto & [tok, lp] : t) pairs.push_back({tok, lp});
                positions.push_back(pairs);
            }
            out.push_back(positions);
        }
        return {{"topk", out}};
    }
    if (cmd == "generate") {
        std::vector<std::vector<llama_token>> prompts;
        for (auto & s : req.at("prompts")) prompts.push_back(tokens_of(s, "prompts"));
        GenerateOptions o;
        o.n = req.value("n", 1);
        o.temperature = req.value("temperature", 1.0f);
        o.top_p = req.value("top_p", 1.0f);
        o.top_k = req.value("top_k", 0);
        o.max_tokens = req.value("max_tokens", 64);
        if (req.contains("stop")) o.stop = tokens_of(req["stop"], "stop");
        o.seed = req.value("seed", (uint64_t) eng.rng());
        o.grammar = req.value("grammar", std::string());
        o.grammar_root = req.value("grammar_root", std::string("root"));
        json out = json::array();
        for (auto & per : eng.generate(prompts, o)) {
            json a = json::array();
            for (auto & s : per) a.push_back({{"tokens", s.tokens}, {"logprobs", s.logprobs}, {"logprob", s.logprob}});
            out.push_back(a);
        }
        return {{"samples", out}};
    }
    if (cmd == "save") {
        json r = json::object();
        if (req.contains("adapter")) { eng.save_adapter(req["adapter"].get<std::string>()); r["adapter"] = req["adapter"]; }
        if (req.contains("checkpoint")) { eng.save_checkpoint(req["checkpoint"].get<std::string>()); r["checkpoint"] = req["checkpoint"]; }
        if (r.empty()) throw EngineError("BAD_REQUEST", "save needs adapter and/or checkpoint");
        return r;
    }
    if (cmd == "check") return {{"checks", run_checks(eng)}};
    throw EngineError("BAD_REQUEST", "unknown cmd '" + cmd + "'");
}

// Threads: ggml's CPU ops run on OpenMP threads and BLAS products on OpenBLAS's own threads, one after the other,
// node by node. By default each pool busy-waits after its work (libgomp ~300k spins, OpenBLAS up to 2^28 cycles of
// sched_yield), so with as many threads as cores the idle pool steals the cores the busy one needs: a profile of a
// 25M-model step showed ~30% of samples in libgomp spinning and sched_yield. Both runtimes read their wait policy
// from the environment when they are loaded, before main(), so the engine sets it for itself and re-executes once
// (a value the user set wins). libgomp spins 20k rounds (tens of microseconds: the waits between the nodes of one
// graph, which decoding has hundreds of per token) and then sleeps (a BLAS product of milliseconds); OpenBLAS's
// threads sleep at once. Measured (25M shape, 2 cores): training 237 -> 414 tok/s at seq 512; fully passive
// OpenMP trained as fast (407) but halved batched decoding (llama-batched-bench ratio 0.87x -> 0.52x).
static void set_thread_wait_policy(char ** argv) {
#if defined(__linux__)
    if (std::getenv("SQUILL_TRAINER_WAIT_POLICY")) return;
    setenv("SQUILL_TRAINER_WAIT_POLICY", "1", 1);
    setenv("GOMP_SPINCOUNT", "20000", 0);
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    execv("/proc/self/exe", argv); // returns only on failure: then run with the defaults
#else
    (void) argv;
#endif
}

int main(int, char ** argv) {
    set_thread_wait_policy(argv);
    llama_log_set(log_to_stderr, nullptr);
    llama_backend_init();
    Engine eng;
    {
        json backends = json::array();
        for (auto & n : eng.backend_names()) backends.push_back(n);
        emit({{"ready", {{"protocol", 1}, {"engine", "squill-trainer"}, {"version", VERSION}, {"llama_cpp", SQUILL_LLAMA_COMMIT},
                         {"backends", backends}, {"blas", eng.has_blas()}}}});
    }
    std::string line;
    bool quit = false;
    while (!quit && std::getline(std::cin, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        json id = nullptr;
        try {
            json req = json::parse(line);
            if (!req.is_object()) throw EngineError("BAD_REQUEST", "request must be a JSON object");
            if (req.contains("id")) id = req["id"];
            if (!id.is_number()) { id = nullptr; throw EngineError("BAD_REQUEST", "request needs a numeric id"); }
            if (!req.contains("cmd") || !req["cmd"].is_string()) throw EngineError("BAD_REQUEST", "request needs cmd");
            json ok = handle(eng, req["cmd"].get<std::string>(), req, quit);
            emit({{"id", id}, {"ok", ok}});
        } catch (const EngineError & e) {
            emit({{"id", id}, {"error", {{"code", e.code}, {"message", e.what()}}}});
        } catch (const json::exception & e) {
            emit({{"id", id}, {"error", {{"code", "BAD_REQUEST"}, {"message", e.what()}}}});
        } catch (const std::exception & e) {
            emit({{"id", id}, {"error", {{"code", "INTERNAL"}, {"message", e.what()}}}});
        }
    }
    llama_backend_free();
    return 0;
}
