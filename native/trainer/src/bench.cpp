// The `sgemm_peak` command: the GFLOP/s of a large F32 matrix product on each backend of this build, measured with
// the same backends, in the same order and with the same thread count as the engine (init_backends), so the
// training benchmark can say what fraction of the machine's matrix-product peak a training step uses. The product
// is a ggml MUL_MAT (C = A^T B, all F32) computed by ggml_backend_graph_compute on that backend alone: on a BLAS
// build the BLAS backend runs it through cblas_sgemm of the very library the engine links (OpenBLAS), on the CPU
// backend through ggml's own kernels, on CUDA through cuBLAS. The engine's scheduler gives a MUL_MAT to the first
// backend that supports it (GPU, then BLAS, then CPU), so `engine_backend` names that one and `peak_gflops` is its
// figure: the peak the training step competes against.
#include "bench.h"
#include "engine.h"
#include "util.h"

#include "ggml-alloc.h"
#include "ggml-backend.h"

#include <algorithm>
#include <memory>
#include <random>
#include <thread>
#include <vector>

using json = nlohmann::json;

namespace {

struct BackendDeleter { void operator()(ggml_backend * b) const { ggml_backend_free(b); } };
struct ContextDeleter { void operator()(ggml_context * c) const { ggml_free(c); } };
struct BufferDeleter { void operator()(ggml_backend_buffer * b) const { ggml_backend_buffer_free(b); } };

// best-of-`reps` seconds for one n x n x n product on `backend` (after one warm-up run, which also lets a GPU
// backend build its handles): the best run is the least disturbed by other processes on a shared machine
double time_product(ggml_backend_t backend, ggml_backend_dev_t dev, int64_t n, int reps, bool * supported) {
    ggml_init_params ip = { 4 * ggml_tensor_overhead() + ggml_graph_overhead(), nullptr, true };
    std::unique_ptr<ggml_context, ContextDeleter> c(ggml_init(ip));
    ggml_tensor * a = ggml_new_tensor_2d(c.get(), GGML_TYPE_F32, n, n);
    ggml_tensor * b = ggml_new_tensor_2d(c.get(), GGML_TYPE_F32, n, n);
    ggml_tensor * out = ggml_mul_mat(c.get(), a, b);
    ggml_cgraph * g = ggml_new_graph(c.get());
    ggml_build_forward_expand(g, out);
    std::unique_ptr<ggml_backend_buffer, BufferDeleter> buf(ggml_backend_alloc_ctx_tensors(c.get(), backend));
    *supported = buf && ggml_backend_dev_supports_op(dev, out);
    if (!*supported) return 0.0;
    std::vector<float> x((size_t) (n * n));
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (auto & v : x) v = u(gen);
    ggml_backend_tensor_set(a, x.data(), 0, ggml_nbytes(a));
    ggml_backend_tensor_set(b, x.data(), 0, ggml_nbytes(b));
    double best = 1e300;
    for (int r = 0; r <= reps; ++r) {
        const double t0 = now_ms();
        if (ggml_backend_graph_compute(backend, g) != GGML_STATUS_SUCCESS) throw EngineError("INTERNAL", "sgemm_peak: graph compute failed");
        ggml_backend_synchronize(backend);
        const double s = (now_ms() - t0) / 1000.0;
        if (r > 0) best = std::min(best, s);
    }
    return best;
}

} // namespace

json sgemm_peak(const json & req) {
    const int threads = req.value("threads", 0) > 0 ? req.value("threads", 0) : std::max(1, (int) std::thread::hardware_concurrency());
    const int64_t n = req.value("n", (int64_t) 2048);
    const int reps = std::max(1, req.value("reps", 5));
    if (n < 32 || n > 16384) throw EngineError("BAD_REQUEST", "sgemm_peak: n must be in 32..16384");
    // 2 n^3: n^2 outputs, each a length-n dot product of one multiply and one add per term
    const double flop = 2.0 * (double) n * (double) n * (double) n;
    json devices = json::array();
    std::string engine_backend;
    double peak = 0.0;
    for (auto type : {GGML_BACKEND_DEVICE_TYPE_GPU, GGML_BACKEND_DEVICE_TYPE_IGPU, GGML_BACKEND_DEVICE_TYPE_ACCEL, GGML_BACKEND_DEVICE_TYPE_CPU}) {
        for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
            ggml_backend_dev_t dev = ggml_backend_dev_get(i);
            if (ggml_backend_dev_type(dev) != type) continue;
            std::unique_ptr<ggml_backend, BackendDeleter> b(ggml_backend_dev_init(dev, nullptr));
            if (!b) continue;
            ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
            auto set_threads = (ggml_backend_set_n_threads_t) ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads");
            if (set_threads) set_threads(b.get(), threads);
            bool supported = false;
            const double s = time_product(b.get(), dev, n, reps, &supported);
            json d = {{"name", ggml_backend_dev_name(dev)}, {"description", ggml_backend_dev_description(dev)}, {"supported", supported}};
            if (supported) {
                const double gflops = flop / s / 1e9;
                d["seconds"] = s;
                d["gflops"] = gflops;
                if (engine_backend.empty()) { engine_backend = ggml_backend_dev_name(dev); peak = gflops; }
            }
            devices.push_back(d);
        }
    }
    return {{"n", n}, {"threads", threads}, {"reps", reps}, {"devices", devices}, {"engine_backend", engine_backend}, {"peak_gflops", peak}};
}
