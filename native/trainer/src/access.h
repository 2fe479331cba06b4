// Access to llama_context internals for the training loop (llama_context befriends this struct: patch 0002).
#pragma once
#include "llama-context.h"
#include "llama-batch.h"
#include "llama-memory.h"

struct squill_trainer_access {
    static llama_cparams & cparams(llama_context * c) { return c->cparams; }
    static llama_memory_i * memory(llama_context * c) { return c->memory.get(); }
    static llama_batch_allocr & balloc(llama_context * c) { return *c->balloc; }
    static const llama_adapter_loras * loras(llama_context * c) { return c->loras.get(); }
    static const llama_adapter_cvec * cvec(llama_context * c) { return c->cvec.get(); }
    static const llama_cross * cross(llama_context * c) { return &c->cross; }
};
using Access = squill_trainer_access;
