#include "profile.h"
#include "util.h"

#include <algorithm>
#include <cstdio>

namespace {

// FLOPs of the ops whose cost is arithmetic (matrix products); 0 for the rest
double flops_of(const ggml_tensor * t) {
    if (t->op == GGML_OP_MUL_MAT) return 2.0 * (double) t->src[0]->ne[0] * (double) ggml_nelements(t);
    if (t->op == GGML_OP_OUT_PROD) return 2.0 * (double) t->src[0]->ne[1] * (double) ggml_nelements(t);
    return 0.0;
}

std::string key_of(ggml_backend_sched_t sched, ggml_tensor * t) {
    ggml_backend_t b = ggml_backend_sched_get_tensor_backend(sched, t);
    std::string k = std::string(ggml_op_desc(t)) + "/" + (b ? ggml_backend_name(b) : "?");
    if (t->op == GGML_OP_MUL_MAT || t->op == GGML_OP_OUT_PROD) {
        // shape class: the src0 type and the three extents of the product, batch dims folded in
        char buf[128];
        const ggml_tensor * a = t->src[0];
        std::snprintf(buf, sizeof buf, " [%s %lldx%lld x%lld%s]", ggml_type_name(a->type), (long long) t->ne[0], (long long) t->ne[1],
            (long long) (t->op == GGML_OP_MUL_MAT ? a->ne[0] : a->ne[1]), t->ne[2] * t->ne[3] > 1 ? (" b" + std::to_string(t->ne[2] * t->ne[3])).c_str() : "");
        k += buf;
    }
    return k;
}

bool on_node(ggml_tensor * t, bool ask, void * user) {
    auto * p = (OpProfile *) user;
    const double now = now_ms();
    if (ask) { p->last_ms = now; return true; } // observe every node: it is then computed on its own
    const std::string key = key_of(p->sched, t);
    auto & row = p->rows[key];
    if (row.key.empty()) row.key = key;
    row.ms += now - p->last_ms;
    row.count++;
    row.gflop += flops_of(t) / 1e9;
    p->total_ms += now - p->last_ms;
    return true;
}

} // namespace

void OpProfile::attach(ggml_backend_sched_t s) {
    sched = s;
    ggml_backend_sched_set_eval_callback(s, on_node, this);
}

void OpProfile::detach() {
    if (sched) ggml_backend_sched_set_eval_callback(sched, nullptr, nullptr);
    sched = nullptr;
}

std::vector<OpProfile::Row> OpProfile::sorted() const {
    std::vector<Row> out;
    for (auto & [k, r] : rows) out.push_back(r);
    std::sort(out.begin(), out.end(), [](const Row & a, const Row & b) { return a.ms > b.ms; });
    return out;
}
