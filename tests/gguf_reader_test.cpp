// The GGUF reader on files built here (well-formed and hostile) and on the
// stories260K conversions in the shared fixtures.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "gguf_builder.h"
#include "llmcu/gguf.h"
#include "test_support.h"

namespace llmcu {
namespace {

using test::GgufBuilder;

// A file opened with exactly the arena gguf_index_bytes asks for, placed at
// an odd address so the arena's own alignment padding is exercised.
struct Opened {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> arena_memory;
  Result<GgufFile> file = Status::error(StatusCode::kInvalidArgument, "not opened");
};

void open_into(Opened& o, const char* name = "test.gguf") {
  Result<size_t> need = gguf_index_bytes(o.bytes, name);
  if (!need.is_ok()) {
    o.file = need.status();
    return;
  }
  o.arena_memory.assign(*need + 1, 0);
  Arena arena(std::span<uint8_t>(o.arena_memory.data() + 1, *need));
  o.file = gguf_open(o.bytes, name, arena);
}

std::unique_ptr<Opened> open_bytes(std::vector<uint8_t> bytes, const char* name = "test.gguf") {
  auto o = std::make_unique<Opened>();
  o->bytes = std::move(bytes);
  open_into(*o, name);
  return o;
}

std::string error_of(std::vector<uint8_t> bytes) {
  auto o = open_bytes(std::move(bytes));
  EXPECT_FALSE(o->file.is_ok());
  return o->file.is_ok() ? std::string() : o->file.status().message();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<uint8_t> f32_bytes(std::initializer_list<float> values) {
  std::vector<uint8_t> out;
  for (float v : values) GgufBuilder::put(out, v);
  return out;
}

// One value of every scalar type, arrays of every element type, two tensors.
GgufBuilder full_builder() {
  GgufBuilder b;
  b.scalar<uint8_t>("t.u8", GgufBuilder::kU8, 200);
  b.scalar<int8_t>("t.i8", GgufBuilder::kI8, -100);
  b.scalar<uint16_t>("t.u16", GgufBuilder::kU16, 60000);
  b.scalar<int16_t>("t.i16", GgufBuilder::kI16, -30000);
  b.u32("t.u32", 4000000000u);
  b.i32("t.i32", -2000000000);
  b.f32("t.f32", 1.5f);
  b.boolean("t.bool", true);
  b.string("t.string", "hello");
  b.u64("t.u64", 1ull << 40);
  b.scalar<int64_t>("t.i64", GgufBuilder::kI64, -(1ll << 40));
  b.scalar<double>("t.f64", GgufBuilder::kF64, 0.25);
  b.array<uint8_t>("a.u8", GgufBuilder::kU8, {1, 2, 255});
  b.array<int8_t>("a.i8", GgufBuilder::kI8, {-1, 2});
  b.array<uint16_t>("a.u16", GgufBuilder::kU16, {65535});
  b.array<int16_t>("a.i16", GgufBuilder::kI16, {-5, 5});
  b.array<uint32_t>("a.u32", GgufBuilder::kU32, {7, 8, 9});
  b.array<int32_t>("a.i32", GgufBuilder::kI32, {-7});
  b.array<float>("a.f32", GgufBuilder::kF32, {0.5f, -2.0f});
  b.array<uint8_t>("a.bool", GgufBuilder::kBool, {1, 0, 1});
  b.strings("a.string", {"<unk>", "", "\xe2\x96\x81the"});
  b.array<uint64_t>("a.u64", GgufBuilder::kU64, {1ull << 63});
  b.array<int64_t>("a.i64", GgufBuilder::kI64, {-3});
  b.array<double>("a.f64", GgufBuilder::kF64, {1e300});
  b.array<uint32_t>("a.empty", GgufBuilder::kU32, {});
  b.tensor("w", {4, 2}, 0, f32_bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  b.tensor("norm", {4}, 0, f32_bytes({-1, -2, -3, -4}));
  return b;
}

TEST(GgufReader, ReadsEveryValueType) {
  GgufBuilder b = full_builder();
  auto o = open_bytes(b.build());
  ASSERT_TRUE(o->file.is_ok()) << o->file.status().message();
  const GgufFile& f = *o->file;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.data_offset(), b.data_offset());
  EXPECT_EQ(f.data_offset() % 32, 0u);
  EXPECT_EQ(f.metadata().size(), 25u);
  EXPECT_EQ(f.metadata()[0].key, "t.u8");  // file order

  EXPECT_EQ(f.find("t.u8")->value.data[0], 200);
  EXPECT_EQ(f.find("t.i16")->value.type, GgufType::kInt16);
  EXPECT_EQ(*f.get_u32("t.u32"), 4000000000u);
  EXPECT_EQ(*f.get_i32("t.i32"), -2000000000);
  EXPECT_EQ(*f.get_f32("t.f32"), 1.5f);
  EXPECT_TRUE(*f.get_bool("t.bool"));
  EXPECT_EQ(*f.get_string("t.string"), "hello");
  EXPECT_EQ(*f.get_u64("t.u64"), 1ull << 40);
  EXPECT_EQ(f.find("t.f64")->value.type, GgufType::kFloat64);
  EXPECT_EQ(f.find("missing"), nullptr);

  EXPECT_EQ(f.get_array("a.u8", GgufType::kUint8)->u8(2), 255);
  EXPECT_EQ(f.get_array("a.i8", GgufType::kInt8)->i8(0), -1);
  EXPECT_EQ(f.get_array("a.u16", GgufType::kUint16)->u16(0), 65535);
  EXPECT_EQ(f.get_array("a.i16", GgufType::kInt16)->i16(0), -5);
  Result<GgufArray> u32s = f.get_array("a.u32", GgufType::kUint32);
  ASSERT_TRUE(u32s.is_ok());
  EXPECT_EQ(u32s->size(), 3u);
  EXPECT_EQ(u32s->u32(2), 9u);
  EXPECT_EQ(f.get_array("a.i32", GgufType::kInt32)->i32(0), -7);
  EXPECT_EQ(f.get_array("a.f32", GgufType::kFloat32)->f32(1), -2.0f);
  Result<GgufArray> bools = f.get_array("a.bool", GgufType::kBool);
  EXPECT_TRUE(bools->boolean(0));
  EXPECT_FALSE(bools->boolean(1));
  EXPECT_EQ(f.get_array("a.u64", GgufType::kUint64)->u64(0), 1ull << 63);
  EXPECT_EQ(f.get_array("a.i64", GgufType::kInt64)->i64(0), -3);
  EXPECT_EQ(f.get_array("a.f64", GgufType::kFloat64)->f64(0), 1e300);
  EXPECT_EQ(f.get_array("a.empty", GgufType::kUint32)->size(), 0u);
  std::vector<std::string> strings;
  for (std::string_view s : f.get_array("a.string", GgufType::kString)->strings()) {
    strings.emplace_back(s);
  }
  EXPECT_EQ(strings, (std::vector<std::string>{"<unk>", "", "\xe2\x96\x81the"}));

  ASSERT_EQ(f.tensors().size(), 2u);
  const GgufTensor* w = f.find_tensor("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->n_dims, 2u);
  EXPECT_EQ(w->dims[0], 4u);
  EXPECT_EQ(w->dims[1], 2u);
  EXPECT_EQ(w->dims[2], 1u);
  EXPECT_EQ(w->rows(), 2u);
  EXPECT_EQ(w->elements, 8u);
  EXPECT_EQ(w->bytes, 32u);
  EXPECT_EQ(w->type, GgmlType::kF32);
  float last;
  memcpy(&last, w->data + 28, 4);
  EXPECT_EQ(last, 8.0f);
  const GgufTensor* norm = f.find_tensor("norm");
  ASSERT_NE(norm, nullptr);
  EXPECT_EQ(norm->offset, 32u);  // after w, aligned
  EXPECT_EQ(norm->data, o->bytes.data() + b.data_offset() + 32);
  EXPECT_EQ(f.find_tensor("nope"), nullptr);
  EXPECT_EQ(f.find_tensor("wx"), nullptr);
}

TEST(GgufReader, TypedLookupsNameFileKeyAndTypes) {
  GgufBuilder b;
  b.string("llama.embedding_length", "sixty-four");
  b.u32("llama.block_count", 5);
  b.array<int32_t>("tokenizer.ggml.token_type", GgufBuilder::kI32, {1, 2});
  auto o = open_bytes(b.build(), "model.gguf");
  ASSERT_TRUE(o->file.is_ok());
  const GgufFile& f = *o->file;
  EXPECT_STREQ(f.get_u32("llama.embedding_length").status().message(),
               "model.gguf: llama.embedding_length: expected uint32, found string");
  EXPECT_STREQ(f.get_u32("llama.context_length").status().message(),
               "model.gguf: llama.context_length: not in the file's metadata");
  EXPECT_STREQ(f.get_i32("llama.block_count").status().message(),
               "model.gguf: llama.block_count: expected int32, found uint32");
  EXPECT_STREQ(f.get_u32("tokenizer.ggml.token_type").status().message(),
               "model.gguf: tokenizer.ggml.token_type: expected uint32, found array of int32");
  EXPECT_STREQ(f.get_array("tokenizer.ggml.token_type", GgufType::kUint32).status().message(),
               "model.gguf: tokenizer.ggml.token_type: expected array of uint32, found array of "
               "int32");
  EXPECT_STREQ(f.get_array("llama.block_count", GgufType::kUint32).status().message(),
               "model.gguf: llama.block_count: expected array, found uint32");
  // Fallbacks apply to absent keys only.
  EXPECT_EQ(*f.get_u32("llama.context_length", 128), 128u);
  EXPECT_EQ(*f.get_u32("llama.block_count", 7), 5u);
  EXPECT_FALSE(f.get_f32("llama.embedding_length", 1.0f).is_ok());
  EXPECT_EQ(*f.get_f32("llama.rope.freq_base", 10000.0f), 10000.0f);
  EXPECT_EQ(*f.get_string("absent", "none"), "none");
  EXPECT_TRUE(*f.get_bool("absent", true));
  EXPECT_EQ(*f.get_i32("absent", -1), -1);
}

TEST(GgufReader, VersionTwoReadsAndOthersAreRefused) {
  GgufBuilder b = full_builder();
  b.version = 2;
  auto o = open_bytes(b.build());
  ASSERT_TRUE(o->file.is_ok()) << o->file.status().message();
  EXPECT_EQ(o->file->version(), 2u);

  b.version = 1;
  const std::string v1 = error_of(b.build());
  EXPECT_TRUE(contains(v1, "test.gguf: GGUF version 1 is not supported")) << v1;
  b.version = 4;
  EXPECT_TRUE(contains(error_of(b.build()), "version 4"));
  b.version = 0;
  EXPECT_TRUE(contains(error_of(b.build()), "version 0"));
  b.version = 0x03000000;  // what a big-endian version 3 looks like
  EXPECT_TRUE(contains(error_of(b.build()), "big-endian"));
}

TEST(GgufReader, RefusesWhatIsNotGguf) {
  EXPECT_TRUE(contains(error_of({}), "too short"));
  EXPECT_TRUE(contains(error_of({'G', 'G', 'U'}), "too short"));
  const std::string wrong = error_of({'G', 'G', 'M', 'L', 3, 0, 0, 0});
  EXPECT_TRUE(contains(wrong, "not a GGUF file")) << wrong;
  EXPECT_FALSE(is_gguf(std::vector<uint8_t>{'G', 'G', 'U'}));
  EXPECT_TRUE(is_gguf(std::vector<uint8_t>{'G', 'G', 'U', 'F'}));
}

// Every proper prefix of a valid file is refused with a message, and never
// read past (ASan builds check the last).
TEST(GgufReader, TruncationAtEveryByteIsRefused) {
  GgufBuilder b = full_builder();
  const std::vector<uint8_t> whole = b.build();
  ASSERT_TRUE(open_bytes(whole)->file.is_ok());
  for (size_t n = 0; n < whole.size(); ++n) {
    auto o = open_bytes(std::vector<uint8_t>(whole.begin(), whole.begin() + n));
    ASSERT_FALSE(o->file.is_ok()) << "prefix of " << n << " bytes was accepted";
    const std::string message = o->file.status().message();
    EXPECT_EQ(message.rfind("test.gguf: ", 0), 0u) << message;
  }
}

TEST(GgufReader, CountsBeyondTheFileAreRefusedBeforeAllocating) {
  GgufBuilder b = full_builder();
  b.metadata_count_override = 1ull << 60;
  EXPECT_TRUE(contains(error_of(b.build()), "metadata entries"));
  b.metadata_count_override.reset();
  b.tensor_count_override = std::numeric_limits<uint64_t>::max();
  EXPECT_TRUE(contains(error_of(b.build()), "tensors"));
  // Plausible but wrong counts run into the end of the file or into the wrong records.
  b.tensor_count_override = 3;
  EXPECT_FALSE(open_bytes(b.build())->file.is_ok());
  b.tensor_count_override.reset();
  b.metadata_count_override = 26;
  EXPECT_FALSE(open_bytes(b.build())->file.is_ok());
}

TEST(GgufReader, HostileLengthsAreRefused) {
  const uint64_t huge = std::numeric_limits<uint64_t>::max();
  {
    GgufBuilder b;
    std::vector<uint8_t> value;
    GgufBuilder::put(value, huge);  // string length
    b.raw("k", GgufBuilder::kString, value);
    EXPECT_TRUE(contains(error_of(b.build()), "string value of metadata 'k' runs past the end"));
  }
  {
    GgufBuilder b;
    std::vector<uint8_t> value;
    GgufBuilder::put(value, static_cast<uint32_t>(GgufBuilder::kU64));
    GgufBuilder::put(value, huge / 4);  // count * 8 overflows
    b.raw("k", GgufBuilder::kArray, value);
    const std::string e = error_of(b.build());
    EXPECT_TRUE(contains(e, "'k'") && contains(e, "values of type uint64")) << e;
  }
  {
    GgufBuilder b;
    std::vector<uint8_t> value;
    GgufBuilder::put(value, static_cast<uint32_t>(GgufBuilder::kString));
    GgufBuilder::put(value, huge);
    b.raw("k", GgufBuilder::kArray, value);
    EXPECT_TRUE(contains(error_of(b.build()), "strings cannot fit"));
  }
  {
    GgufBuilder b;
    std::vector<uint8_t> value;
    GgufBuilder::put(value, static_cast<uint32_t>(GgufBuilder::kString));
    GgufBuilder::put(value, uint64_t{2});
    GgufBuilder::put_string(value, "fine");
    GgufBuilder::put(value, huge - 3);  // second string's length
    GgufBuilder::put(value, uint64_t{0});
    b.raw("tokens", GgufBuilder::kArray, value);
    const std::string e = error_of(b.build());
    EXPECT_TRUE(contains(e, "'tokens': string 1 of 2 runs past the end")) << e;
  }
  {
    // A key whose length runs past the end.
    std::vector<uint8_t> bytes = {'G', 'G', 'U', 'F'};
    GgufBuilder::put(bytes, uint32_t{3});
    GgufBuilder::put(bytes, uint64_t{0});
    GgufBuilder::put(bytes, uint64_t{1});
    GgufBuilder::put(bytes, huge);
    bytes.resize(bytes.size() + 16, 'x');
    EXPECT_TRUE(contains(error_of(bytes), "metadata entry 0 of 1: key runs past the end"));
  }
  {
    GgufBuilder b;
    b.f32_tensor("t", {4});
    std::vector<uint8_t> bytes = b.build();
    const size_t at = b.tensor_info_offset(0);
    uint64_t length = huge;
    memcpy(bytes.data() + at, &length, 8);
    EXPECT_TRUE(contains(error_of(bytes), "tensor 0 of 1: name runs past the end"));
  }
}

TEST(GgufReader, BadValueTypesAreRefused) {
  {
    GgufBuilder b;
    b.raw("weird", 13, {0, 0, 0, 0});
    EXPECT_TRUE(contains(error_of(b.build()), "metadata 'weird': unknown value type 13"));
  }
  {
    GgufBuilder b;
    std::vector<uint8_t> value;
    GgufBuilder::put(value, static_cast<uint32_t>(GgufBuilder::kArray));
    GgufBuilder::put(value, uint64_t{0});
    b.raw("nested", GgufBuilder::kArray, value);
    EXPECT_TRUE(contains(error_of(b.build()), "'nested': arrays of arrays are not supported"));
  }
  {
    GgufBuilder b;
    b.scalar<uint8_t>("flag", GgufBuilder::kBool, 2);
    EXPECT_TRUE(contains(error_of(b.build()), "'flag': bool value 2 is neither 0 nor 1"));
  }
  {
    GgufBuilder b;
    b.array<uint8_t>("flags", GgufBuilder::kBool, {0, 1, 7});
    EXPECT_TRUE(contains(error_of(b.build()), "bool value 7"));
  }
  {
    GgufBuilder b;
    b.u32("", 1);
    EXPECT_TRUE(contains(error_of(b.build()), "empty key"));
  }
  {
    GgufBuilder b;
    b.u32("llama.block_count", 1);
    b.u32("general.x", 1);
    b.u32("llama.block_count", 2);
    EXPECT_TRUE(contains(error_of(b.build()), "metadata key 'llama.block_count' appears twice"));
  }
}

TEST(GgufReader, AlignmentKeyIsChecked) {
  {
    GgufBuilder b;
    b.alignment = 64;
    b.u32("general.alignment", 64);
    b.f32_tensor("a", {3});
    b.f32_tensor("b", {5});
    auto o = open_bytes(b.build());
    ASSERT_TRUE(o->file.is_ok()) << o->file.status().message();
    EXPECT_EQ(o->file->alignment(), 64u);
    EXPECT_EQ(o->file->data_offset() % 64, 0u);
    EXPECT_EQ(o->file->find_tensor("b")->offset, 64u);
  }
  for (uint32_t bad : {0u, 3u, 48u, 0x80000001u}) {
    GgufBuilder b;
    b.u32("general.alignment", bad);
    const std::string e = error_of(b.build());
    EXPECT_TRUE(contains(e, "general.alignment " + std::to_string(bad) + " is not a power of two"))
        << e;
  }
  {
    GgufBuilder b;
    b.u64("general.alignment", 32);
    EXPECT_TRUE(contains(error_of(b.build()), "general.alignment: expected uint32, found uint64"));
  }
  {
    // Offsets must be multiples of the alignment.
    GgufBuilder b;
    b.f32_tensor("a", {3});
    b.f32_tensor("b", {3}).offset = 16;
    EXPECT_TRUE(contains(error_of(b.build()),
                         "tensor 'b': offset 16 is not a multiple of the alignment 32"));
  }
  {
    // A huge alignment pushes the data section past the end.
    GgufBuilder b;
    b.u32("general.alignment", 1u << 31);
    b.f32_tensor("a", {3});
    EXPECT_TRUE(contains(error_of(b.build()), "tensor 'a': data at 2147483648+12 bytes runs past"));
  }
}

TEST(GgufReader, TensorInfosAreChecked) {
  {
    GgufBuilder b;
    b.tensor("five", {1, 1, 1, 1, 1}, 0, f32_bytes({1}));
    EXPECT_TRUE(contains(error_of(b.build()), "tensor 'five': 5 dimensions (at most 4)"));
  }
  {
    GgufBuilder b;
    b.tensor("big", {1ull << 32, 1ull << 32}, 0, {});
    EXPECT_TRUE(contains(error_of(b.build()), "tensor 'big': dimensions overflow"));
  }
  {
    GgufBuilder b;
    b.tensor("big", {1ull << 62, 2}, 0, {});  // 2^63: more than ggml's int64 counts
    EXPECT_TRUE(contains(error_of(b.build()), "tensor 'big': dimensions overflow"));
  }
  {
    GgufBuilder b;
    b.tensor("bytes", {1ull << 62}, 0, {});  // 2^62 values of 4 bytes overflow 64 bits
    EXPECT_TRUE(contains(error_of(b.build()), "tensor 'bytes': size overflows 64 bits"));
  }
  for (uint32_t bad : {4u, 5u, 31u, 36u, 39u, 1000u}) {
    GgufBuilder b;
    b.tensor("blk.0.attn_q.weight", {32}, bad, std::vector<uint8_t>(64));
    const std::string e = error_of(b.build());
    EXPECT_TRUE(
        contains(e, "tensor 'blk.0.attn_q.weight': unknown ggml type " + std::to_string(bad)))
        << e;
  }
  {
    GgufBuilder b;
    b.tensor("blk.0.ffn_down.weight", {172, 64}, 8, std::vector<uint8_t>(172 * 64 * 2));
    const std::string e = error_of(b.build());
    EXPECT_TRUE(contains(e,
                         "tensor 'blk.0.ffn_down.weight': rows of 172 values are not a "
                         "multiple of Q8_0's 32-value block"))
        << e;
  }
  {
    GgufBuilder b;
    b.f32_tensor("", {1});
    EXPECT_TRUE(contains(error_of(b.build()), "tensor 0 of 1 has an empty name"));
  }
  {
    GgufBuilder b;
    b.f32_tensor(std::string(64, 'n'), {1});
    EXPECT_TRUE(contains(error_of(b.build()), "name of 64 bytes is longer than ggml's 63"));
    GgufBuilder ok;
    ok.f32_tensor(std::string(63, 'n'), {1});
    EXPECT_TRUE(open_bytes(ok.build())->file.is_ok());
  }
  {
    GgufBuilder b;
    b.f32_tensor("same", {1});
    b.f32_tensor("other", {1});
    b.f32_tensor("same", {1});
    EXPECT_TRUE(contains(error_of(b.build()), "tensor name 'same' appears twice"));
  }
}

TEST(GgufReader, TensorDataIsChecked) {
  {
    GgufBuilder b;
    b.f32_tensor("a", {8});
    std::vector<uint8_t> bytes = b.build();
    const size_t size = bytes.size();
    bytes.resize(size - 1);
    const std::string e = error_of(bytes);
    EXPECT_EQ(e, "test.gguf: tensor 'a': data at " + std::to_string(b.data_offset()) +
                     "+32 bytes runs past the end of the file (" + std::to_string(size - 1) +
                     " bytes)");
  }
  {
    GgufBuilder b;
    b.f32_tensor("a", {8}).offset = std::numeric_limits<uint64_t>::max() - 31;  // multiple of 32
    const std::string e = error_of(b.build());
    EXPECT_TRUE(contains(e, "tensor 'a': data at")) << e;
  }
  {
    GgufBuilder b;
    b.f32_tensor("first", {16});
    b.f32_tensor("second", {8}).offset = 32;  // inside first's 64 bytes
    const std::string e = error_of(b.build());
    EXPECT_TRUE(contains(e, "tensors 'first' (data at 0+64) and 'second' (at 32+32) overlap")) << e;
  }
  {
    // Contained in a larger tensor that is not its neighbour in offset order.
    GgufBuilder b;
    b.f32_tensor("outer", {64});
    b.f32_tensor("inner1", {8}).offset = 64;
    b.f32_tensor("inner2", {8}).offset = 128;
    const std::string e = error_of(b.build());
    EXPECT_TRUE(contains(e, "'outer'") && contains(e, "overlap")) << e;
  }
  {
    // Any order, gaps and empty tensors are fine.
    GgufBuilder b;
    b.f32_tensor("late", {8}).offset = 128;
    b.f32_tensor("early", {8}).offset = 0;
    b.tensor("empty", {0, 4}, 0, {}).offset = 0;
    b.tensor("q8", {32, 1}, 8, std::vector<uint8_t>(34, 1)).offset = 64;
    auto o = open_bytes(b.build());
    ASSERT_TRUE(o->file.is_ok()) << o->file.status().message();
    EXPECT_EQ(o->file->find_tensor("empty")->bytes, 0u);
    EXPECT_EQ(o->file->find_tensor("q8")->bytes, 34u);
    EXPECT_EQ(o->file->tensors()[0].name, "late");
  }
}

TEST(GgufReader, SmallArenaIsReported) {
  const std::vector<uint8_t> bytes = full_builder().build();
  Result<size_t> need = gguf_index_bytes(bytes, "test.gguf");
  ASSERT_TRUE(need.is_ok());
  std::vector<uint8_t> memory(*need / 2);
  Arena arena(memory);
  Result<GgufFile> file = gguf_open(bytes, "test.gguf", arena);
  ASSERT_FALSE(file.is_ok());
  EXPECT_EQ(file.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(contains(file.status().message(), "arena is too small"));
}

TEST(GgufReader, GgmlTypeTable) {
  EXPECT_STREQ(ggml_type_info(8)->name, "Q8_0");
  EXPECT_EQ(ggml_type_info(8)->block_bytes, 34u);
  EXPECT_EQ(ggml_type_info(2)->block_bytes, 18u);
  EXPECT_EQ(ggml_type_info(1)->block_bytes, 2u);
  EXPECT_EQ(ggml_type_info(14)->block_values, 256u);
  EXPECT_EQ(ggml_type_info(4), nullptr);
  EXPECT_EQ(ggml_type_info(33), nullptr);
  EXPECT_EQ(ggml_type_info(39), nullptr);
  EXPECT_STREQ(ggml_type_name(GgmlType::kQ4_0), "Q4_0");
  EXPECT_STREQ(gguf_type_name(GgufType::kFloat32), "float32");
}

// The stories260K conversions made by llama.cpp's tools (shared fixtures).
class SharedGguf : public ::testing::TestWithParam<const char*> {};

TEST_P(SharedGguf, OpensWithTheConvertersMetadata) {
  auto o =
      open_bytes(test::read_file(test::model_path(std::string("gguf/") + GetParam())), GetParam());
  ASSERT_TRUE(o->file.is_ok()) << o->file.status().message();
  const GgufFile& f = *o->file;
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(*f.get_string("general.architecture"), "llama");
  EXPECT_EQ(*f.get_u32("llama.embedding_length"), 64u);
  EXPECT_EQ(*f.get_u32("llama.feed_forward_length"), 172u);
  EXPECT_EQ(*f.get_u32("llama.block_count"), 5u);
  EXPECT_EQ(*f.get_u32("llama.attention.head_count"), 8u);
  EXPECT_EQ(*f.get_u32("llama.attention.head_count_kv"), 4u);
  EXPECT_EQ(*f.get_u32("llama.context_length"), 128u);
  EXPECT_EQ(*f.get_u32("llama.rope.dimension_count"), 8u);
  EXPECT_EQ(*f.get_f32("llama.attention.layer_norm_rms_epsilon"), 1e-5f);
  EXPECT_EQ(f.find("llama.rope.freq_base"), nullptr);
  EXPECT_EQ(*f.get_string("tokenizer.ggml.model"), "llama");
  Result<GgufArray> tokens = f.get_array("tokenizer.ggml.tokens", GgufType::kString);
  ASSERT_TRUE(tokens.is_ok());
  EXPECT_EQ(tokens->size(), 512u);
  std::vector<std::string> first;
  for (std::string_view t : tokens->strings()) {
    if (first.size() < 4) first.emplace_back(t);
  }
  EXPECT_EQ(first, (std::vector<std::string>{"<unk>", "<s>", "</s>", "<0x00>"}));
  EXPECT_EQ(f.get_array("tokenizer.ggml.scores", GgufType::kFloat32)->size(), 512u);
  Result<GgufArray> types = f.get_array("tokenizer.ggml.token_type", GgufType::kInt32);
  EXPECT_EQ(types->i32(1), 3);
  EXPECT_EQ(types->i32(3), 6);
  EXPECT_EQ(*f.get_u32("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(*f.get_u32("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_EQ(*f.get_u32("tokenizer.ggml.padding_token_id"), 4294967295u);

  ASSERT_EQ(f.tensors().size(), 48u);
  const GgufTensor* embd = f.find_tensor("token_embd.weight");
  ASSERT_NE(embd, nullptr);
  EXPECT_EQ(embd->dims[0], 64u);
  EXPECT_EQ(embd->dims[1], 512u);
  EXPECT_NE(f.find_tensor("output.weight"), nullptr);
  const GgufTensor* down = f.find_tensor("blk.4.ffn_down.weight");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->dims[0], 172u);
  EXPECT_EQ(down->dims[1], 64u);
  int f32 = 0, f16 = 0, q8 = 0;
  for (const GgufTensor& t : f.tensors()) {
    f32 += t.type == GgmlType::kF32;
    f16 += t.type == GgmlType::kF16;
    q8 += t.type == GgmlType::kQ8_0;
    EXPECT_EQ((t.data - o->bytes.data()) % 32, 0) << t.name;
  }
  const std::string name = GetParam();
  if (name == "stories260K-f32.gguf") {
    EXPECT_EQ(f32, 48);
  } else if (name == "stories260K-q8_0.gguf") {
    EXPECT_EQ(q8, 32);
    EXPECT_EQ(f32, 11);
    EXPECT_EQ(f16, 5);
    EXPECT_EQ(down->type, GgmlType::kF16);
  } else {
    EXPECT_EQ(q8, 32);
    EXPECT_EQ(f32, 16);
  }
}

INSTANTIATE_TEST_SUITE_P(Stories260K, SharedGguf,
                         ::testing::Values("stories260K-f32.gguf", "stories260K-q8_0.gguf",
                                           "stories260K-q8_0-f32down.gguf"));

}  // namespace
}  // namespace llmcu
