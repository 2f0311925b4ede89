// The model container: layout, round trip, every header check, and the
// `llmcu pack` command that writes it.
#include "llmcu/container.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "llmcu/model.h"
#include "llmcu/tokenizer.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

// What `llmcu pack` writes, built in memory.
std::vector<uint8_t> pack(const std::vector<uint8_t>& model, size_t tensor_offset,
                          const std::vector<uint8_t>& tokenizer) {
  Result<ContainerHeader> h = plan_container(model.size(), tensor_offset, tokenizer.size());
  EXPECT_TRUE(h.is_ok()) << h.status().message();
  h->model_crc32 = crc32(model);
  h->tokenizer_crc32 = crc32(tokenizer);
  std::vector<uint8_t> out(h->total_bytes, 0);
  encode_container_header(*h, out.data());
  memcpy(out.data() + h->model_offset, model.data(), model.size());
  memcpy(out.data() + h->tokenizer_offset, tokenizer.data(), tokenizer.size());
  return out;
}

// Rewrites one header field and fixes the header CRC, so only that field is wrong.
void patch_u32(std::vector<uint8_t>* c, size_t offset, uint32_t value) {
  memcpy(c->data() + offset, &value, 4);
  const uint32_t crc = crc32({c->data(), 60});
  memcpy(c->data() + 60, &crc, 4);
}

std::string open_error(const std::vector<uint8_t>& c, bool verify = true) {
  Result<Container> r = open_container(c, "model.llmcu", verify);
  return r.is_ok() ? "" : r.status().message();
}

class ContainerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = read_file(model_path("stories260K.bin"));
    tokenizer_ = read_file(model_path("tok512.bin"));
    container_ = pack(model_, 28, tokenizer_);
  }
  std::vector<uint8_t> model_, tokenizer_, container_;
};

TEST(Crc32, MatchesTheStandardCheckValue) {
  const char* text = "123456789";
  EXPECT_EQ(crc32({reinterpret_cast<const uint8_t*>(text), 9}), 0xCBF43926u);
  // Continuing from a previous result equals one pass over the whole.
  const auto* p = reinterpret_cast<const uint8_t*>(text);
  EXPECT_EQ(crc32({p + 4, 5}, crc32({p, 4})), 0xCBF43926u);
  EXPECT_EQ(crc32({}), 0u);
}

TEST(PlanContainer, AlignsTheFirstTensorAndPadsAfterTheModel) {
  for (size_t skew : {0u, 28u, 256u, 63u}) {
    Result<ContainerHeader> h = plan_container(1000 + skew, skew, 77);
    ASSERT_TRUE(h.is_ok());
    EXPECT_EQ((h->model_offset + skew) % kContainerAlignment, 0u) << skew;
    EXPECT_GE(h->model_offset, kContainerHeaderBytes);
    EXPECT_LT(h->model_offset, kContainerHeaderBytes + kContainerAlignment);
    EXPECT_GE(h->tokenizer_offset, h->model_offset + h->model_bytes + kContainerTailPad);
    EXPECT_EQ(h->tokenizer_offset % kContainerAlignment, 0u);
    EXPECT_EQ(h->total_bytes, h->tokenizer_offset + 77);
  }
  EXPECT_FALSE(plan_container(0, 0, 10).is_ok());
  // No tokenizer (a GGUF model brings its vocabulary): the container ends after the model's pad.
  Result<ContainerHeader> bare = plan_container(10, 0, 0);
  ASSERT_TRUE(bare.is_ok()) << bare.status().message();
  EXPECT_EQ(bare->tokenizer_bytes, 0u);
  EXPECT_EQ(bare->total_bytes, bare->tokenizer_offset);
  EXPECT_FALSE(plan_container(10, 10, 5).is_ok());
  EXPECT_EQ(plan_container(size_t{UINT32_MAX}, 0, 100).status().code(), StatusCode::kOutOfRange);
}

TEST_F(ContainerTest, RoundTripsModelAndTokenizerInPlace) {
  Result<Container> c = open_container(container_, "model.llmcu", true);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_TRUE(is_container(container_));
  EXPECT_FALSE(is_container(model_));
  ASSERT_EQ(c->model.size(), model_.size());
  EXPECT_EQ(memcmp(c->model.data(), model_.data(), model_.size()), 0);
  EXPECT_EQ(memcmp(c->tokenizer.data(), tokenizer_.data(), tokenizer_.size()), 0);
  // Spans point into the container: nothing was copied.
  EXPECT_EQ(c->model.data(), container_.data() + c->header.model_offset);

  Result<Model> model = load_model(c->model, "model.llmcu");
  ASSERT_TRUE(model.is_ok()) << model.status().message();
  // The legacy header is 28 bytes: the first tensor is 64-byte aligned
  // relative to the container start (and so in a 64 KiB-aligned mapping).
  const size_t first = static_cast<size_t>(model->weights.token_embedding.base - container_.data());
  EXPECT_EQ(first % 64, 0u);
  Result<int32_t> tokens = Tokenizer::count_tokens(c->tokenizer, "model.llmcu");
  ASSERT_TRUE(tokens.is_ok());
  EXPECT_EQ(*tokens, model->config.vocab_size);
}

TEST_F(ContainerTest, AcceptsTrailingBytesAsInAPartition) {
  std::vector<uint8_t> partition = container_;
  partition.resize(partition.size() + 100000, 0xff);  // erased flash after the container
  EXPECT_EQ(open_error(partition), "");
}

TEST_F(ContainerTest, RejectsShortOrForeignData) {
  EXPECT_NE(open_error({container_.begin(), container_.begin() + 63}).find("shorter than"),
            std::string::npos);
  std::vector<uint8_t> erased(4096, 0xff);
  EXPECT_NE(open_error(erased).find("not an llmcu container"), std::string::npos);
  EXPECT_NE(open_error(model_).find("not an llmcu container"), std::string::npos);
}

TEST_F(ContainerTest, RejectsACorruptHeader) {
  std::vector<uint8_t> c = container_;
  c[20] ^= 1;  // model offset, CRC not fixed
  EXPECT_NE(open_error(c).find("header checksum"), std::string::npos);
}

TEST_F(ContainerTest, RejectsOtherVersionsAndNonZeroReservedBytes) {
  std::vector<uint8_t> c = container_;
  patch_u32(&c, 8, 2);
  Result<Container> r = open_container(c, "m", true);
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(std::string(r.status().message()).find("version 2"), std::string::npos);

  c = container_;
  patch_u32(&c, 12, 128);
  EXPECT_NE(open_error(c).find("header_bytes"), std::string::npos);

  c = container_;
  patch_u32(&c, 44, 1);  // flags
  EXPECT_NE(open_error(c).find("must be 0"), std::string::npos);
  c = container_;
  patch_u32(&c, 52, 0x100);  // reserved
  EXPECT_NE(open_error(c).find("byte 53"), std::string::npos);
}

TEST_F(ContainerTest, RejectsRegionsOutsideThePayloadOrOverlapping) {
  std::vector<uint8_t> c = container_;
  patch_u32(&c, 20, 32);  // model inside the header
  EXPECT_NE(open_error(c).find("outside the payload"), std::string::npos);

  c = container_;
  patch_u32(&c, 32, 0xFFFFFFF0u);  // tokenizer size past the end, no 32-bit wrap
  EXPECT_NE(open_error(c).find("outside the payload"), std::string::npos);

  c = container_;
  patch_u32(&c, 24, 0);
  EXPECT_NE(open_error(c).find("empty model"), std::string::npos);

  c = container_;
  uint32_t model_offset;
  memcpy(&model_offset, c.data() + 20, 4);
  patch_u32(&c, 28, model_offset + 64);  // tokenizer starts inside the model
  EXPECT_NE(open_error(c).find("overlap"), std::string::npos);

  c = container_;
  patch_u32(&c, 20, model_offset + 2);
  patch_u32(&c, 24, static_cast<uint32_t>(model_.size()) - 64);
  EXPECT_NE(open_error(c).find("multiple of 4"), std::string::npos);
}

TEST_F(ContainerTest, RejectsATruncatedContainer) {
  std::vector<uint8_t> c(container_.begin(), container_.end() - 1);
  const std::string error = open_error(c);
  EXPECT_NE(error.find("only"), std::string::npos) << error;
  EXPECT_NE(error.find("truncated"), std::string::npos) << error;
}

TEST_F(ContainerTest, ChecksumsCatchPayloadDamageOnlyWhenVerified) {
  Result<Container> ok = open_container(container_, "m", true);
  ASSERT_TRUE(ok.is_ok());
  std::vector<uint8_t> c = container_;
  c[ok->header.model_offset + 5000] ^= 0x40;
  EXPECT_NE(open_error(c, true).find("model checksum"), std::string::npos);
  EXPECT_EQ(open_error(c, false), "");

  c = container_;
  c[ok->header.tokenizer_offset + 100] ^= 0x01;
  EXPECT_NE(open_error(c, true).find("tokenizer checksum"), std::string::npos);
}

class PackCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = ::testing::TempDir() + "pack_test_" + std::to_string(getpid()) + ".llmcu";
  }
  void TearDown() override { unlink(out_.c_str()); }
  std::string out_;
};

TEST_F(PackCommandTest, WritesAContainerTheCoreOpens) {
  const std::string model = model_path("stories260K.bin");
  const std::string tokenizer = model_path("tok512.bin");
  CommandResult r = run_cli("pack " + shell_quote(model) + " " + shell_quote(tokenizer) + " " +
                            shell_quote(out_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote"), std::string::npos);
  const std::vector<uint8_t> bytes = read_file(out_);
  Result<Container> c = open_container(bytes, out_.c_str(), true);
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(std::vector<uint8_t>(c->model.begin(), c->model.end()), read_file(model));
  EXPECT_EQ(std::vector<uint8_t>(c->tokenizer.begin(), c->tokenizer.end()), read_file(tokenizer));
  EXPECT_EQ((c->header.model_offset + 28) % 64, 0u);  // legacy header is 28 bytes
}

TEST_F(PackCommandTest, RefusesInputsTheDeviceCouldNotLoad) {
  const std::string model = model_path("stories260K.bin");
  const std::string tokenizer = model_path("tok512.bin");
  // Tokenizer and model swapped: the model check names the file.
  CommandResult r = run_cli("pack " + shell_quote(tokenizer) + " " + shell_quote(model) + " " +
                            shell_quote(out_));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tok512.bin"), std::string::npos) << r.err;
  EXPECT_NE(access(out_.c_str(), F_OK), 0) << "no output on failure";

  r = run_cli("pack " + shell_quote(model));
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace llmcu::test
