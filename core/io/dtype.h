// SPDX-License-Identifier: GPL-3.0-or-later
// Element types of stored tensors: plain dtypes (safetensors) and ggml block formats (GGUF).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace lathe {

enum class DType {
    F32, F16, BF16, F64,
    I8, U8, I16, U16, I32, U32, I64, U64, Bool,
    F8_E4M3, F8_E5M2,
    // ggml block-quantized formats (one block covers blockElements() values of a row)
    Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1,
    Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K,
};

// Canonical short name ("F32", "BF16", "Q4_K").
std::string dtypeName(DType t);
// Parse a safetensors dtype string ("F32", "BF16", "I64", ...); nullopt when unknown.
std::optional<DType> dtypeFromSafetensors(const std::string &name);

// Number of values per storage block: 1 for plain dtypes, 32 or 256 for ggml formats.
std::int64_t dtypeBlockElements(DType t);
// Bytes per storage block (bytes per element for plain dtypes).
std::size_t dtypeBlockBytes(DType t);
bool dtypeIsFloat(DType t);    // F32/F16/BF16/F64/F8*
bool dtypeIsQuantized(DType t); // ggml block formats

// Bytes needed for `elements` values (elements must be a multiple of the block size for
// quantized types; callers validate that first). Returns nullopt on overflow.
std::optional<std::size_t> dtypeStorageBytes(DType t, std::uint64_t elements);

} // namespace lathe
