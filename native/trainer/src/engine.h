// squill-trainer engine state: a frozen llama.cpp model, one LoRA adapter whose tensors are the trainable
// parameters, gradient accumulators, host-side AdamW moments and the scheduler used for training graphs.
#pragma once

#include "llama.h"
#include "ggml.h"
#include "ggml-backend.h"
#include "profile.h"

#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

struct llama_adapter_lora;
struct StepGraph;

// An error that maps to a protocol error code.
struct EngineError : std::runtime_error {
    std::string code;
    EngineError(std::string code, const std::string & msg) : std::runtime_error(msg), code(std::move(code)) {}
};

// One trainable tensor (lora_a or lora_b of one base weight).
struct Param {
    std::string name;          // e.g. blk.0.attn_q.weight.lora_a
    ggml_tensor * t = nullptr; // the adapter tensor (lives in the adapter's backend buffer)
    ggml_tensor * grad = nullptr; // gradient accumulator (same buffer type), summed over micro-steps
    std::vector<float> m, v;   // AdamW moments (host)
};

// What a sequence's loss terms are: weighted cross-entropy, or a divergence from a teacher (KID distillation).
enum class Divergence : uint8_t {
    none,       // targets are (token, weight) labels: L_i = sum_k w_k * -log q(token_k)
    forward_kl, // KL(teacher || student) at each position with weight[i] > 0
    reverse_kl, // KL(student || teacher): what KID uses (methods.md section 4)
};

// One training/scoring sequence: tokens plus, for each position i >= 1, the targets predicted from tokens[0..i-1].
// Cross-entropy (divergence none): (token, weight) pairs; hard labels one pair (tokens[i], w_i), soft labels
// (token_k, w_i * p_k). Distillation: targets[i] is the teacher's top-k as (token, log-prob), distinct tokens, and
// weight[i] the weight of the divergence there (0: no term); train.cpp says how the tail of the teacher is handled.
struct Sequence {
    std::vector<llama_token> tokens;
    std::vector<std::vector<std::pair<llama_token, float>>> targets; // size == tokens.size(); targets[0] unused
    Divergence divergence = Divergence::none;
    std::vector<float> weight; // distillation only: size == tokens.size()
};

// What the distillation positions of a batch added up to (the dashboard's KD and agreement curves).
struct DistillStats {
    double kd = 0.0;        // sum of weight * divergence
    int64_t positions = 0;  // positions with a divergence term
    int64_t agree = 0;      // ... where the student's most likely token is the teacher's
};

struct StepOptions {
    float lr = 1e-4f;
    float weight_decay = 0.0f;
    float clip = 0.0f;        // <= 0: no clipping
    int accumulate = 1;       // step requests per optimizer update
    bool profile = false;     // time every node of the step's graphs (slower; see profile.h)
};

struct StepResult {
    double loss = 0.0;
    int64_t tokens = 0;
    double grad_norm = 0.0;
    bool updated = false;
    double ms = 0.0;
    size_t compute_bytes = 0;
    DistillStats distill;
    std::vector<OpProfile::Row> profile; // when StepOptions.profile
    double profile_ms = 0.0;
};

struct Sample {
    std::vector<llama_token> tokens;
    std::vector<float> logprobs; // per token: the model's log-prob at temperature 1 over the whole vocabulary
    double logprob = 0.0;        // their sum
};

struct GenerateOptions {
    int n = 1;
    float temperature = 1.0f;
    float top_p = 1.0f;
    int top_k = 0;             // 0: off
    int max_tokens = 64;
    std::vector<llama_token> stop;
    uint64_t seed = 0;
    std::string grammar;       // GBNF; empty: none
    std::string grammar_root = "root";
};

struct LoadOptions {
    std::string model;
    int threads = 0;
    int ctx = 512;
    uint64_t seed = 0;
    int loss_chunk = 0;       // positions per chunk of the vocabulary-sized loss computation; 0: sized by loss_bytes
    size_t loss_bytes = (size_t) 512 << 20; // memory for one loss chunk's [n_vocab, chunk] F32 logits and their gradient
    // fresh adapter
    bool fresh = false;
    int rank = 8;
    float alpha = 16.0f;
    std::vector<std::string> targets;
    uint64_t lora_seed = 0;
    std::string adapter;      // continue from an adapter GGUF
    std::string checkpoint;   // resume adapter + optimizer + step + RNG
    std::string reference;    // a frozen adapter the reference pass applies (GRPO's start); empty: the bare base
};

class Engine {
public:
    Engine();
    ~Engine();

    void load(const LoadOptions & opt);
    bool loaded() const { return model != nullptr; }

    StepResult step(const std::vector<Sequence> & batch, const StepOptions & opt);
    // each token's log-prob given the tokens before it; reference: under the reference model (the base, with the
    // frozen reference adapter when one is set), the trained adapter left out
    void set_reference(const std::string & path);
    std::vector<std::vector<double>> logprobs(const std::vector<std::vector<llama_token>> & seqs, bool reference = false);
    // the k most likely tokens and their log-probs at every position p >= from[i] of each sequence (the distribution
    // that predicts tokens[p]), most likely first: a teacher's targets, and with k = 1 a student's argmax
    using TopK = std::vector<std::pair<llama_token, float>>;
    std::vector<std::vector<TopK>> topk(const std::vector<std::vector<llama_token>> & seqs, const std::vector<int> & from, int k, bool reference = false);
    std::vector<std::vector<Sample>> generate(const std::vector<std::vector<llama_token>> & prompts, const GenerateOptions & opt);
    void save_adapter(const std::string & path);
    void save_checkpoint(const std::string & path);

    // loss of the batch under the current adapter (forward only), and gradients without an update
    double eval_loss(const std::vector<Sequence> & batch);
    // sequences packed into one graph: at most n_ctx tokens and PACK_MAX_SEQS sequences (the context's slots)
    // (16: llama.cpp reserves n_vocab logits per sequence slot of the context, 0.6 MB each with a 152k vocabulary)
    static constexpr int PACK_MAX_SEQS = 16;
    std::vector<std::vector<const Sequence *>> pack(const std::vector<Sequence> & batch) const;
    // each sequence's loss, from packed graphs (as a step computes them) or one graph per sequence
    std::vector<double> sequence_losses(const std::vector<Sequence> & batch, bool packed);
    double accumulate_grads(const std::vector<Sequence> & batch, int64_t * n_tokens = nullptr, DistillStats * distill = nullptr);

    // state snapshot for self-checks (adapter data, moments, step, pending gradients reset)
    struct Snapshot { std::vector<std::vector<float>> data, m, v; int64_t step; int micro; std::string rng; };
    Snapshot snapshot();
    void restore(const Snapshot & s);
    void zero_grads();
    uint64_t base_checksum();
    void restore_checkpoint(const std::string & path);

    // every op of a training step and the backends that compute it (op_check.cpp, the `ops` command); the check
    // throws LOAD_FAILED naming the ops no backend computes and returns the CPU-only ops of a GPU build as warnings
    struct OpSupport { std::string op; std::string example; std::vector<std::string> backends; };
    std::vector<OpSupport> training_op_support();
    std::vector<std::string> check_training_ops();

    // info
    int n_vocab() const;
    int n_ctx() const;
    int n_layer() const;
    int n_embd() const;
    int64_t trainable_params() const;
    std::string base_type() const;
    std::vector<std::string> backend_names() const;
    bool has_blas() const;
    std::string detokenize(const std::vector<llama_token> & tokens) const;
    bool is_eog(llama_token t) const;

    std::vector<Param> params;
    int64_t opt_step = 0;      // optimizer updates done
    int micro = 0;             // micro-steps accumulated since the last update
    std::mt19937_64 rng;
    size_t last_compute_bytes = 0;
    OpProfile * profiler = nullptr; // set during a profiled step

private:
    llama_model * model = nullptr;
    llama_context * ctx = nullptr;
    llama_adapter_lora * adapter = nullptr;
    llama_adapter_lora * reference_adapter = nullptr; // frozen, never attached to a context; see set_reference
    std::unordered_map<llama_adapter_lora *, float> reference_loras; // what the reference pass applies: it, or nothing
    llama_context * gen_ctx = nullptr; // inference context of generate (generate.cpp), created on first use
    float alpha = 0.0f;
    int rank = 0;
    int threads = 2;
    int loss_chunk = 0;
    size_t loss_bytes = 0;
    std::string arch;

    std::vector<ggml_backend_t> backends;
    // every backend computes in host memory (CPU, BLAS): the loss head's CPU ops may then work in place (train.cpp);
    // a GPU backend would run them on copies, so there they write a new tensor
    bool head_in_place = true;
    ggml_backend_t backend_cpu = nullptr;
    ggml_backend_sched_t sched = nullptr;
    size_t sched_size = 0;
    std::vector<ggml_context *> grad_ctxs;
    std::vector<ggml_backend_buffer_t> grad_bufs;

    llama_context * gen_context(int seqs, int cells);
    void init_backends();
    void check_trainable_types(); // every base weight type must have a backward (OUT_PROD) on some backend
    void ensure_sched(size_t graph_size);
    void release_embedding_pages(); // an untied token embedding's mapped pages leave the RSS (engine.cpp)
    void attach_adapter(const std::string & path);
    void write_fresh_adapter(const std::string & path, const LoadOptions & opt);
    void write_adapter_file(const std::string & path, bool with_optimizer);
    void free_all();

    void validate_sequence(const Sequence & seq) const;
    // what one graph of packed sequences computes besides each sequence's loss
    struct PackRequest {
        bool backward = false;             // add the loss's gradients into the accumulators
        int topk = 0;                      // > 0: also the k most likely tokens at every active position
        std::vector<std::vector<float>> * logp = nullptr;   // out: each sequence's log-probs of its own tokens
        std::vector<std::vector<TopK>> * top = nullptr;     // out: per sequence, per active position, the top k
        DistillStats * distill = nullptr;  // out (added to): the distillation positions' divergence and agreement
    };
    // build + run one graph for packed sequences: returns each one's loss
    std::vector<double> run_pack(const std::vector<const Sequence *> & seqs, const PackRequest & req);
    // the graph run_pack computes, built but not allocated
    bool without_adapter = false; // build_step_graph builds the reference model (reference log-probs)
    std::unique_ptr<StepGraph> build_step_graph(const std::vector<const Sequence *> & seqs, const PackRequest & req);
    void adamw_update(const StepOptions & opt, double grad_norm);
    double grad_norm_sq(std::vector<std::vector<float>> & grads);
};
