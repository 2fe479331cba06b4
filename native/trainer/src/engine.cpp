// Model loading, backends, adapter creation/attachment and adapter/checkpoint files.
#include "engine.h"
#include "util.h"

#include "access.h"
#include "llama-adapter.h"
#include "llama-context.h"
#include "llama-model.h"
#include "gguf.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <thread>
#include <sstream>
#include <unistd.h>
#include <sys/mman.h>


// The keys that make a GGUF a LoRA adapter llama.cpp and node-llama-cpp load (see trainer.md).
static gguf_context * new_adapter_gguf(const std::string & arch, float alpha) {
    gguf_context * g = gguf_init_empty();
    gguf_set_val_str(g, "general.type", "adapter");
    gguf_set_val_str(g, "general.architecture", arch.c_str());
    gguf_set_val_str(g, "adapter.type", "lora");
    gguf_set_val_f32(g, "adapter.lora.alpha", alpha);
    return g;
}

static const std::map<std::string, std::string> TARGET_TENSORS = {
    {"q", "attn_q"}, {"k", "attn_k"}, {"v", "attn_v"}, {"o", "attn_output"},
    {"gate", "ffn_gate"}, {"up", "ffn_up"}, {"down", "ffn_down"},
};

std::string temp_path_for(const std::string & path) {
    return path + ".tmp." + std::to_string(getpid());
}

void rename_atomic(const std::string & tmp, const std::string & path) {
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw EngineError("IO", "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    }
}

size_t rss_bytes(bool peak) {
    std::ifstream f("/proc/self/status");
    std::string line;
    const std::string key = peak ? "VmHWM:" : "VmRSS:";
    while (std::getline(f, line)) {
        if (line.rfind(key, 0) == 0) {
            return (size_t) std::stoull(line.substr(key.size())) * 1024;
        }
    }
    return 0;
}

Engine::Engine() {}
Engine::~Engine() { free_all(); }

void Engine::free_all() {
    if (sched) { ggml_backend_sched_free(sched); sched = nullptr; sched_size = 0; }
    for (auto b : grad_bufs) ggml_backend_buffer_free(b);
    grad_bufs.clear();
    for (auto c : grad_ctxs) ggml_free(c);
    grad_ctxs.clear();
    for (auto b : backends) ggml_backend_free(b);
    backends.clear();
    backend_cpu = nullptr;
    if (gen_ctx) { llama_free(gen_ctx); gen_ctx = nullptr; }
    if (ctx) { llama_free(ctx); ctx = nullptr; }
    if (adapter) { llama_adapter_lora_free(adapter); adapter = nullptr; }
    if (reference_adapter) { llama_adapter_lora_free(reference_adapter); reference_adapter = nullptr; }
    reference_loras.clear();
    if (model) { llama_model_free(model); model = nullptr; }
    params.clear();
    opt_step = 0;
    micro = 0;
}

void Engine::init_backends() {
    head_in_place = true;
    // GPUs first, then accelerators (BLAS), CPU last: the same order llama_context uses
    for (auto type : {GGML_BACKEND_DEVICE_TYPE_GPU, GGML_BACKEND_DEVICE_TYPE_IGPU, GGML_BACKEND_DEVICE_TYPE_ACCEL, GGML_BACKEND_DEVICE_TYPE_CPU}) {
        for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
            ggml_backend_dev_t dev = ggml_backend_dev_get(i);
            if (ggml_backend_dev_type(dev) != type) continue;
            ggml_backend_t b = ggml_backend_dev_init(dev, nullptr);
            if (!b) continue;
            if (type == GGML_BACKEND_DEVICE_TYPE_CPU) backend_cpu = b;
            if (type == GGML_BACKEND_DEVICE_TYPE_GPU || type == GGML_BACKEND_DEVICE_TYPE_IGPU) head_in_place = false;
            ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
            auto set_threads = (ggml_backend_set_n_threads_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads");
            if (set_threads) set_threads(b, threads);
            backends.push_back(b);
        }
    }
    if (!backend_cpu) throw EngineError("INTERNAL", "no CPU backend");
}

void Engine::ensure_sched(size_t graph_size) {
    if (sched && sched_size >= graph_size) return;
    if (sched) ggml_backend_sched_free(sched);
    sched_size = std::max(graph_size, (size_t) 16384);
    sched = ggml_backend_sched_new(backends.data(), nullptr, (int) backends.size(), sched_size, false, true);
}

std::vector<std::string> Engine::backend_names() const {
    std::vector<std::string> out;
    for (size_t i = 0; i < ggml_backend_reg_count(); ++i) out.push_back(ggml_backend_reg_name(ggml_backend_reg_get(i)));
    return out;
}

bool Engine::has_blas() const {
    for (size_t i = 0; i < ggml_backend_reg_count(); ++i) {
        if (std::string(ggml_backend_reg_name(ggml_backend_reg_get(i))) == "BLAS") return true;
    }
    return false;
}

int Engine::n_vocab() const { return llama_vocab_n_tokens(llama_model_get_vocab(model)); }
int Engine::n_ctx() const { return (int) llama_n_ctx(ctx); }
int Engine::n_layer() const { return llama_model_n_layer(model); }
int Engine::n_embd() const { return llama_model_n_embd(model); }
int64_t Engine::trainable_params() const {
    int64_t n = 0;
    for (auto & p : params) n += ggml_nelements(p.t);
    return n;
}
std::string Engine::base_type() const {
    // the type of the first attention weight is representative of the base's quantization
    for (auto & [name, t] : model->tensors_by_name) {
        if (name.find("attn_q.weight") != std::string::npos) return ggml_type_name(t->type);
    }
    return ggml_type_name(model->tensors_by_name.front().second->type);
}

// The backward pass through a frozen weight W of mul_mat(W, x) is ggml_out_prod(W, grad^T) (ggml.c,
// ggml_compute_backward), and the loss uses OUT_PROD with the output matrix too: so every weight type of the
// base's linear layers and output head needs some backend that computes OUT_PROD with that src0 type, or the
// scheduler asserts mid-step (GGML_ASSERT(*cur_backend_id != -1)). Ask the backends up front instead and refuse the
// model with an error that names the type. (CPU: F32, F16, quantized types, and BF16 with patch 0003.)
void Engine::check_trainable_types() {
    std::map<ggml_type, const ggml_tensor *> by_type;
    if (model->output) by_type.emplace(model->output->type, model->output);
    for (auto & [name, t] : model->tensors_by_name) {
        if (name.rfind("blk.", 0) == 0 && ggml_n_dims(t) == 2) by_type.emplace(t->type, t);
    }
    ggml_init_params ip = { 8 * ggml_tensor_overhead(), nullptr, true };
    for (auto & [type, w] : by_type) {
        ggml_context * c = ggml_init(ip);
        ggml_tensor * src0 = ggml_new_tensor_2d(c, type, w->ne[0], w->ne[1]);
        ggml_tensor * grad = ggml_new_tensor_2d(c, GGML_TYPE_F32, w->ne[1], 8);
        ggml_tensor * op = ggml_out_prod(c, src0, ggml_transpose(c, grad));
        bool ok = false;
        for (auto b : backends) ok = ok || ggml_backend_supports_op(b, op);
        ggml_free(c);
        if (!ok) {
            throw EngineError("LOAD_FAILED", std::string("cannot train on this base model: its weights (e.g. ") + ggml_get_name(w) + ") are " +
                ggml_type_name(type) + ", and no backend of this build computes OUT_PROD (the backward of mul_mat) with a " +
                ggml_type_name(type) + " weight; use a base in F32, F16, BF16 or a ggml quantized type the CPU backend supports");
        }
    }
}

// llama.cpp maps the GGUF with MAP_POPULATE, so every page of the file is in this process's RSS from the start.
// An untied token embedding is as large as the output head (n_vocab x n_embd: 311 MB of the 25M shape's 730 MB
// file) but a step only gathers the rows of its tokens: give its pages back (the file mapping keeps its contents;
// the rows a step reads fault in again from the page cache). Only for a file mapping: anonymous memory would come
// back as zeros, so a buffer that is not "CPU_Mapped" is left alone.
void Engine::release_embedding_pages() {
#if defined(__linux__) || defined(__APPLE__)
    const ggml_tensor * e = model->tok_embd;
    if (!e || e == model->output || !e->buffer || std::string(ggml_backend_buffer_name(e->buffer)) != "CPU_Mapped") return;
    const uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE);
    const uintptr_t begin = ((uintptr_t) e->data + page - 1) & ~(page - 1);
    const uintptr_t end = ((uintptr_t) e->data + ggml_nbytes(e)) & ~(page - 1);
    if (end > begin) madvise((void *) begin, end - begin, MADV_DONTNEED);
#endif
}

// Fresh adapter: A ~ N(0, 1/n_in), B = 0, written as an adapter GGUF and loaded the ordinary way.
void Engine::write_fresh_adapter(const std::string & path, const LoadOptions & opt) {
    std::set<std::string> wanted;
    for (auto & t : opt.targets) {
        auto it = TARGET_TENSORS.find(t);
        if (it == TARGET_TENSORS.end()) throw EngineError("BAD_REQUEST", "unknown lora target '" + t + "'");
        wanted.insert(it->second);
    }
    if (wanted.empty()) throw EngineError("BAD_REQUEST", "lora.targets is empty");
    if (opt.rank <= 0) throw EngineError("BAD_REQUEST", "lora.rank must be > 0");

    std::mt19937_64 gen(opt.lora_seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    static const std::regex re("blk\\.(\\d+)\\.([a-z_]+)\\.weight");

    size_t n_tensors = 0;
    for (auto & [name, t] : model->tensors_by_name) {
        std::smatch m;
        if (std::regex_match(name, m, re) && wanted.count(m[2])) n_tensors += 2;
    }
    if (n_tensors == 0) throw EngineError("BAD_REQUEST", "no base weights match the lora targets");

    ggml_init_params ip = { n_tensors * ggml_tensor_overhead(), nullptr, true };
    ggml_context * meta = ggml_init(ip);
    std::vector<std::vector<float>> store;
    store.reserve(n_tensors);
    gguf_context * g = new_adapter_gguf(arch, opt.alpha);
    for (auto & [name, t] : model->tensors_by_name) {
        std::smatch m;
        if (!std::regex_match(name, m, re) || !wanted.count(m[2])) continue;
        const int64_t n_in = t->ne[0], n_out = t->ne[1];
        ggml_tensor * a = ggml_new_tensor_2d(meta, GGML_TYPE_F32, n_in, opt.rank);
        ggml_tensor * b = ggml_new_tensor_2d(meta, GGML_TYPE_F32, opt.rank, n_out);
        ggml_set_name(a, (name + ".lora_a").c_str());
        ggml_set_name(b, (name + ".lora_b").c_str());
        store.emplace_back(ggml_nelements(a));
        const float sd = 1.0f / std::sqrt((float) n_in);
        for (auto & x : store.back()) x = sd * normal(gen);
        a->data = store.back().data();
        store.emplace_back(ggml_nelements(b), 0.0f);
        b->data = store.back().data();
        gguf_add_tensor(g, a);
        gguf_add_tensor(g, b);
    }
    const bool ok = gguf_write_to_file(g, path.c_str(), false);
    gguf_free(g);
    ggml_free(meta);
    if (!ok) throw EngineError("IO", "cannot write " + path);
}

// Load an adapter GGUF, attach it to the context and mark its tensors trainable.
void Engine::attach_adapter(const std::string & path) {
    adapter = llama_adapter_lora_init(model, path.c_str());
    if (!adapter) throw EngineError("LOAD_FAILED", "cannot load adapter " + path);
    alpha = adapter->alpha;
    float scale = 1.0f;
    llama_adapter_lora * ad = adapter;
    llama_set_adapters_lora(ctx, &ad, 1, &scale);

    // stable order: by base tensor order in the model
    for (auto & [name, t] : model->tensors_by_name) {
        auto it = adapter->ab_map.find(name);
        if (it == adapter->ab_map.end()) continue;
        for (int k = 0; k < 2; ++k) {
            ggml_tensor * w = k == 0 ? it->second.a : it->second.b;
            if (w->type != GGML_TYPE_F32) throw EngineError("LOAD_FAILED", "adapter tensors must be F32 to train");
            Param p;
            p.name = name + (k == 0 ? ".lora_a" : ".lora_b");
            p.t = w;
            ggml_set_param(w);
            p.m.assign(ggml_nelements(w), 0.0f);
            p.v.assign(ggml_nelements(w), 0.0f);
            params.push_back(std::move(p));
        }
        rank = (int) it->second.b->ne[0];
    }
    if (params.empty()) throw EngineError("LOAD_FAILED", "adapter has no tensors matching the model");

    // gradient accumulators, in the same buffer type as their parameter
    std::map<ggml_backend_buffer_type_t, std::vector<size_t>> by_buft;
    for (size_t i = 0; i < params.size(); ++i) by_buft[ggml_backend_buffer_get_type(params[i].t->buffer)].push_back(i);
    for (auto & [buft, idx] : by_buft) {
        ggml_init_params ip2 = { (idx.size() + 1) * ggml_tensor_overhead(), nullptr, true };
        ggml_context * c = ggml_init(ip2);
        for (size_t i : idx) {
            params[i].grad = ggml_dup_tensor(c, params[i].t);
            ggml_set_name(params[i].grad, ("grad." + params[i].name).c_str());
        }
        ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors_from_buft(c, buft);
        if (!buf) throw EngineError("INTERNAL", "cannot allocate gradient accumulators");
        ggml_backend_buffer_clear(buf, 0);
        grad_bufs.push_back(buf);
        grad_ctxs.push_back(c);
    }
}

void Engine::load(const LoadOptions & opt) {
    free_all();
    threads = opt.threads > 0 ? opt.threads : std::max(1, (int) std::thread::hardware_concurrency());
    loss_chunk = std::max(0, opt.loss_chunk);
    loss_bytes = std::max(opt.loss_bytes, (size_t) 1 << 20);
    rng.seed(opt.seed);

    llama_model_params mp = llama_model_default_params();
    mp.use_extra_bufts = false; // repacked (AMX etc.) weights cannot run OUT_PROD in the backward pass
    model = llama_model_load_from_file(opt.model.c_str(), mp);
    if (!model) throw EngineError("LOAD_FAILED", "cannot load model " + opt.model);
    char buf[256];
    if (llama_model_meta_val_str(model, "general.architecture", buf, sizeof(buf)) < 0) throw EngineError("LOAD_FAILED", "model has no general.architecture");
    arch = buf;

    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = opt.ctx;
    cp.n_batch = opt.ctx;
    cp.n_ubatch = opt.ctx;     // a whole training sequence is one ubatch
    cp.n_seq_max = PACK_MAX_SEQS; // packed training graphs: one sequence id per packed sequence
    cp.kv_unified = true;         // one KV stream: the packed tokens occupy cells 0..n-1 in order (patch 0001)
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; // no backward for flash attention
    cp.no_perf = true;
    ctx = llama_init_from_model(model, cp);
    if (!ctx) throw EngineError("LOAD_FAILED", "cannot create context");

    init_backends();
    check_trainable_types();
    release_embedding_pages();

    if (!opt.checkpoint.empty()) {
        // the checkpoint holds the adapter tensors: write them as an adapter file, attach, then restore state
        gguf_init_params gp = { true, nullptr };
        gguf_context * g = gguf_init_from_file(opt.checkpoint.c_str(), gp);
        if (!g) throw EngineError("LOAD_FAILED", "cannot read checkpoint " + opt.checkpoint);
        gguf_free(g);
        const std::string tmp = temp_path_for("/tmp/squill-resume.gguf");
        {
            // copy the lora tensors out of the checkpoint
            ggml_context * data_ctx = nullptr;
            gguf_init_params gp2 = { false, &data_ctx };
            gguf_context * gc = gguf_init_from_file(opt.checkpoint.c_str(), gp2);
            gguf_context * out = gguf_init_empty();
            gguf_set_val_str(out, "general.type", "adapter");
            gguf_set_val_str(out, "general.architecture", arch.c_str());
            gguf_set_val_str(out, "adapter.type", "lora");
            const int64_t ka = gguf_find_key(gc, "adapter.lora.alpha");
            gguf_set_val_f32(out, "adapter.lora.alpha", ka >= 0 ? gguf_get_val_f32(gc, ka) : 0.0f);
            for (int64_t i = 0; i < gguf_get_n_tensors(gc); ++i) {
                std::string name = gguf_get_tensor_name(gc, i);
                if (name.rfind("opt.", 0) == 0) continue;
                gguf_add_tensor(out, ggml_get_tensor(data_ctx, name.c_str()));
            }
            const bool ok = gguf_write_to_file(out, tmp.c_str(), false);
            gguf_free(out);
            gguf_free(gc);
            ggml_free(data_ctx);
            if (!ok) throw EngineError("IO", "cannot write " + tmp);
        }
        attach_adapter(tmp);
        std::remove(tmp.c_str());
        restore_checkpoint(opt.checkpoint);
    } else if (!opt.adapter.empty()) {
        attach_adapter(opt.adapter);
    } else if (opt.fresh) {
        const std::string tmp = temp_path_for("/tmp/squill-fresh-adapter.gguf");
        write_fresh_adapter(tmp, opt);
        attach_adapter(tmp);
        std::remove(tmp.c_str());
    } else {
        throw EngineError("BAD_REQUEST", "load needs one of lora, adapter or checkpoint");
    }
    if (!opt.reference.empty()) set_reference(opt.reference);
}

// The reference model of a KL term is the policy GRPO started from: when that is an adapter (the stage-0 SFT) it is
// loaded a second time, frozen, and the reference pass applies it instead of the trained one. Without it the
// reference is the bare base, which for a model trained only through adapters is not the starting policy.
void Engine::set_reference(const std::string & path) {
    reference_loras.clear();
    if (reference_adapter) { llama_adapter_lora_free(reference_adapter); reference_adapter = nullptr; }
    if (path.empty()) return;
    reference_adapter = llama_adapter_lora_init(model, path.c_str());
    if (!reference_adapter) throw EngineError("LOAD_FAILED", "cannot load the reference adapter " + path);
    reference_loras[reference_adapter] = 1.0f;
}

// Adapter (and optionally optimizer state) as GGUF. Adapter keys/tensors follow llama.cpp's LoRA format;
// the checkpoint adds opt.m.<name>/opt.v.<name> tensors and squill.* keys (step, RNG state).
void Engine::write_adapter_file(const std::string & path, bool with_optimizer) {
    const size_t n_t = params.size() * (with_optimizer ? 3 : 1);
    ggml_init_params ip = { (n_t + 1) * ggml_tensor_overhead(), nullptr, true };
    ggml_context * meta = ggml_init(ip);
    std::vector<std::vector<float>> store;
    store.reserve(n_t);
    gguf_context * g = new_adapter_gguf(arch, alpha);
    auto add = [&](const std::string & name, const ggml_tensor * like, std::vector<float> data) {
        ggml_tensor * t = ggml_new_tensor(meta, GGML_TYPE_F32, GGML_MAX_DIMS, like->ne);
        ggml_set_name(t, name.c_str());
        store.push_back(std::move(data));
        t->data = store.back().data();
        gguf_add_tensor(g, t);
    };
    for (auto & p : params) {
        std::vector<float> d(ggml_nelements(p.t));
        ggml_backend_tensor_get(p.t, d.data(), 0, ggml_nbytes(p.t));
        add(p.name, p.t, std::move(d));
    }
    if (with_optimizer) {
        for (auto & p : params) add("opt.m." + p.name, p.t, p.m);
        for (auto & p : params) add("opt.v." + p.name, p.t, p.v);
        std::ostringstream rs;
        rs << rng;
        gguf_set_val_u64(g, "squill.step", (uint64_t) opt_step);
        gguf_set_val_str(g, "squill.rng", rs.str().c_str());
        gguf_set_val_u32(g, "squill.rank", (uint32_t) rank);
    }
    const std::string tmp = temp_path_for(path);
    const bool ok = gguf_write_to_file(g, tmp.c_str(), false);
    gguf_free(g);
    ggml_free(meta);
    if (!ok) { std::remove(tmp.c_str()); throw EngineError("IO", "cannot write " + path); }
    rename_atomic(tmp, path);
}

void Engine::save_adapter(const std::string & path) { write_adapter_file(path, false); }

void Engine::save_checkpoint(const std::string & path) {
    if (micro != 0) throw EngineError("BAD_REQUEST", "checkpoint in the middle of gradient accumulation is not supported");
    write_adapter_file(path, true);
}

// Set adapter data, AdamW moments, step and RNG from a checkpoint into the live engine.
void Engine::restore_checkpoint(const std::string & path) {
    ggml_context * data_ctx = nullptr;
    gguf_init_params gp = { false, &data_ctx };
    gguf_context * g = gguf_init_from_file(path.c_str(), gp);
    if (!g) throw EngineError("LOAD_FAILED", "cannot read checkpoint " + path);
    auto get = [&](const std::string & name, const Param & p) -> const float * {
        ggml_tensor * t = ggml_get_tensor(data_ctx, name.c_str());
        if (!t || ggml_nelements(t) != ggml_nelements(p.t) || t->type != GGML_TYPE_F32) {
            throw EngineError("LOAD_FAILED", "checkpoint tensor " + name + " missing or mismatched");
        }
        return (const float *) t->data;
    };
    try {
        for (auto & p : params) {
            ggml_backend_tensor_set(p.t, get(p.name, p), 0, ggml_nbytes(p.t));
            const float * m = get("opt.m." + p.name, p);
            const float * v = get("opt.v." + p.name, p);
            p.m.assign(m, m + p.m.size());
            p.v.assign(v, v + p.v.size());
        }
        const int64_t ks = gguf_find_key(g, "squill.step");
        const int64_t kr = gguf_find_key(g, "squill.rng");
        if (ks < 0 || kr < 0) throw EngineError("LOAD_FAILED", "checkpoint lacks squill.step/squill.rng");
        opt_step = (int64_t) gguf_get_val_u64(g, ks);
        std::istringstream rs(gguf_get_val_str(g, kr));
        rs >> rng;
    } catch (...) {
        gguf_free(g);
        ggml_free(data_ctx);
        throw;
    }
    gguf_free(g);
    ggml_free(data_ctx);
    micro = 0;
    zero_grads();
}

void Engine::zero_grads() {
    for (auto b : grad_bufs) ggml_backend_buffer_clear(b, 0);
}

Engine::Snapshot Engine::snapshot() {
    Snapshot s;
    for (auto & p : params) {
        std::vector<float> d(ggml_nelements(p.t));
        ggml_backend_tensor_get(p.t, d.data(), 0, ggml_nbytes(p.t));
        s.data.push_back(std::move(d));
        s.m.push_back(p.m);
        s.v.push_back(p.v);
    }
    s.step = opt_step;
    s.micro = micro;
    std::ostringstream rs;
    rs << rng;
    s.rng = rs.str();
    return s;
}

void Engine::restore(const Snapshot & s) {
    for (size_t i = 0; i < params.size(); ++i) {
        ggml_backend_tensor_set(params[i].t, s.data[i].data(), 0, ggml_nbytes(params[i].t));
        params[i].m = s.m[i];
        params[i].v = s.v[i];
    }
    opt_step = s.step;
    micro = 0;
    std::istringstream rs(s.rng);
    rs >> rng;
    zero_grads();
}

// FNV-1a over every base tensor's bytes: proves training never writes the frozen weights.
uint64_t Engine::base_checksum() {
    uint64_t h = 1469598103934665603ull;
    std::vector<uint8_t> buf;
    for (auto & [name, t] : model->tensors_by_name) {
        buf.resize(ggml_nbytes(t));
        ggml_backend_tensor_get(t, buf.data(), 0, buf.size());
        for (uint8_t c : buf) { h ^= c; h *= 1099511628211ull; }
    }
    return h;
}
