// Corrupted copies of the shared checkpoint and tokenizer: the files every
// loader must refuse with a message that names the file and the problem
// (llama2.c's run.c crashes on, or runs garbage from, most of them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llmcu::test {

struct Corrupted {
  std::string name;            // what was done, usable as a file name
  std::vector<uint8_t> bytes;  // the corrupted file
  std::string expect;          // a substring the refusal must contain ("" : any refusal)
};

// Corruptions of stories260K.bin (version 0: dim 64, hidden 172, 5 layers,
// 8 heads, 4 kv heads, vocab 512, seq_len 512): truncations, trailing bytes,
// every header field zero, negative, huge or inconsistent, foreign magics.
std::vector<Corrupted> corrupted_models(const std::vector<uint8_t>& stories260k);

// Corruptions of tok512.bin as the tokenizer of a 512-token model.
std::vector<Corrupted> corrupted_tokenizers(const std::vector<uint8_t>& tok512);

}  // namespace llmcu::test
