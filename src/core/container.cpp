// The model container: strict parsing of the header (every field checked
// before a span is formed) and the writer's layout arithmetic.
#include "llmcu/container.h"

#include <cstring>

#include "bytes.h"

namespace llmcu {
namespace {

constexpr char kMagic[8] = {'L', 'L', 'M', 'C', 'U', 'P', 'A', 'K'};
constexpr size_t kHeaderCrcOffset = 60;
// The largest container the 32-bit fields can describe.
constexpr uint64_t kMaxContainerBytes = UINT32_MAX;

// A payload region [offset, offset + bytes) that must lie after the header
// and inside the container.
Status check_region(const char* name, const char* part, uint32_t offset, uint32_t bytes,
                    uint32_t total) {
  const uint64_t end = uint64_t{offset} + bytes;
  if (bytes == 0) {
    return Status::error(StatusCode::kInvalidFormat, "%s: container holds an empty %s", name, part);
  }
  if (offset < kContainerHeaderBytes || end > total) {
    return Status::error(
        StatusCode::kInvalidFormat,
        "%s: container %s at [%lu, %llu) is outside the payload [%lu, %lu)", name, part,
        static_cast<unsigned long>(offset), static_cast<unsigned long long>(end),
        static_cast<unsigned long>(kContainerHeaderBytes), static_cast<unsigned long>(total));
  }
  return Status::ok();
}

}  // namespace

bool is_container(std::span<const uint8_t> bytes) {
  return bytes.size() >= sizeof(kMagic) && memcmp(bytes.data(), kMagic, sizeof(kMagic)) == 0;
}

Result<ContainerHeader> parse_container_header(std::span<const uint8_t> bytes, const char* name) {
  if (bytes.size() < kContainerHeaderBytes) {
    return Status::error(StatusCode::kInvalidFormat,
                         "%s: %llu bytes, shorter than the %u-byte container header", name,
                         static_cast<unsigned long long>(bytes.size()),
                         static_cast<unsigned>(kContainerHeaderBytes));
  }
  const uint8_t* p = bytes.data();
  if (!is_container(bytes)) {
    return Status::error(StatusCode::kInvalidFormat,
                         "%s: not an llmcu container (no \"LLMCUPAK\" magic; erased flash reads "
                         "0xff); write one with `llmcu pack MODEL TOKENIZER OUT`",
                         name);
  }
  const uint32_t stored_crc = read_u32(p + kHeaderCrcOffset);
  const uint32_t actual_crc = crc32(bytes.first(kHeaderCrcOffset));
  if (stored_crc != actual_crc) {
    return Status::error(StatusCode::kInvalidFormat,
                         "%s: container header checksum is 0x%08lx, expected 0x%08lx (corrupt or "
                         "partly written)",
                         name, static_cast<unsigned long>(actual_crc),
                         static_cast<unsigned long>(stored_crc));
  }
  ContainerHeader h;
  h.version = read_u32(p + 8);
  h.header_bytes = read_u32(p + 12);
  h.total_bytes = read_u32(p + 16);
  h.model_offset = read_u32(p + 20);
  h.model_bytes = read_u32(p + 24);
  h.tokenizer_offset = read_u32(p + 28);
  h.tokenizer_bytes = read_u32(p + 32);
  h.model_crc32 = read_u32(p + 36);
  h.tokenizer_crc32 = read_u32(p + 40);
  if (h.version != kContainerVersion) {
    return Status::error(
        StatusCode::kUnsupported, "%s: container version %lu; this build reads version %lu", name,
        static_cast<unsigned long>(h.version), static_cast<unsigned long>(kContainerVersion));
  }
  if (h.header_bytes != kContainerHeaderBytes) {
    return Status::error(
        StatusCode::kInvalidFormat, "%s: container header_bytes is %lu, expected %u", name,
        static_cast<unsigned long>(h.header_bytes), static_cast<unsigned>(kContainerHeaderBytes));
  }
  // Flags and reserved bytes must be zero so a later version can give them a
  // meaning without old readers silently misreading the file.
  for (size_t i = 44; i < kHeaderCrcOffset; ++i) {
    if (p[i] != 0) {
      return Status::error(StatusCode::kUnsupported,
                           "%s: container header byte %u is 0x%02x; flags and reserved bytes "
                           "must be 0 in version 1",
                           name, static_cast<unsigned>(i), static_cast<unsigned>(p[i]));
    }
  }
  LLMCU_TRY(check_region(name, "model", h.model_offset, h.model_bytes, h.total_bytes));
  LLMCU_TRY(check_region(name, "tokenizer", h.tokenizer_offset, h.tokenizer_bytes, h.total_bytes));
  const bool model_first = h.model_offset < h.tokenizer_offset;
  const uint64_t first_end = model_first ? uint64_t{h.model_offset} + h.model_bytes
                                         : uint64_t{h.tokenizer_offset} + h.tokenizer_bytes;
  const uint32_t second_start = model_first ? h.tokenizer_offset : h.model_offset;
  if (first_end > second_start) {
    return Status::error(StatusCode::kInvalidFormat, "%s: container model and tokenizer overlap",
                         name);
  }
  // The transformer reads fp32 values straight from the model bytes.
  if (h.model_offset % 4 != 0) {
    return Status::error(StatusCode::kInvalidFormat,
                         "%s: container model offset %lu is not a multiple of 4", name,
                         static_cast<unsigned long>(h.model_offset));
  }
  return h;
}

Result<Container> open_container(std::span<const uint8_t> bytes, const char* name,
                                 bool verify_checksums) {
  LLMCU_TRY_ASSIGN(ContainerHeader header, parse_container_header(bytes, name));
  const ContainerHeader& h = header;
  if (h.total_bytes > bytes.size()) {
    return Status::error(StatusCode::kInvalidFormat,
                         "%s: container is %lu bytes but only %llu are available (truncated "
                         "file, or a partition smaller than the container)",
                         name, static_cast<unsigned long>(h.total_bytes),
                         static_cast<unsigned long long>(bytes.size()));
  }
  Container c;
  c.header = h;
  c.model = bytes.subspan(h.model_offset, h.model_bytes);
  c.tokenizer = bytes.subspan(h.tokenizer_offset, h.tokenizer_bytes);
  if (verify_checksums) {
    const uint32_t model_crc = crc32(c.model);
    if (model_crc != h.model_crc32) {
      return Status::error(StatusCode::kInvalidFormat,
                           "%s: model checksum is 0x%08lx, the header says 0x%08lx (corrupt or "
                           "partly flashed)",
                           name, static_cast<unsigned long>(model_crc),
                           static_cast<unsigned long>(h.model_crc32));
    }
    const uint32_t tokenizer_crc = crc32(c.tokenizer);
    if (tokenizer_crc != h.tokenizer_crc32) {
      return Status::error(StatusCode::kInvalidFormat,
                           "%s: tokenizer checksum is 0x%08lx, the header says 0x%08lx (corrupt "
                           "or partly flashed)",
                           name, static_cast<unsigned long>(tokenizer_crc),
                           static_cast<unsigned long>(h.tokenizer_crc32));
    }
  }
  return c;
}

Result<ContainerHeader> plan_container(size_t model_bytes, size_t model_tensor_offset,
                                       size_t tokenizer_bytes) {
  if (model_bytes == 0 || tokenizer_bytes == 0 || model_tensor_offset >= model_bytes) {
    return Status::error(StatusCode::kInvalidArgument,
                         "cannot pack a model of %llu bytes (tensors from byte %llu) with a "
                         "tokenizer of %llu bytes",
                         static_cast<unsigned long long>(model_bytes),
                         static_cast<unsigned long long>(model_tensor_offset),
                         static_cast<unsigned long long>(tokenizer_bytes));
  }
  // Smallest offset after the header at which the first tensor lands on a
  // kContainerAlignment boundary.
  const uint64_t skew = model_tensor_offset % kContainerAlignment;
  uint64_t model_offset = 0, tokenizer_offset = 0;
  (void)align_up(kContainerHeaderBytes + skew, kContainerAlignment, &model_offset);
  model_offset -= skew;
  // Sizes of files in memory: the sums below cannot reach 2^64.
  const bool fits = align_up(model_offset + model_bytes + kContainerTailPad, kContainerAlignment,
                             &tokenizer_offset);
  const uint64_t total = tokenizer_offset + tokenizer_bytes;
  if (!fits || total > kMaxContainerBytes) {
    return Status::error(StatusCode::kOutOfRange,
                         "a container of %llu bytes is larger than version 1 can describe (4 GiB)",
                         static_cast<unsigned long long>(total));
  }
  ContainerHeader h;
  h.total_bytes = static_cast<uint32_t>(total);
  h.model_offset = static_cast<uint32_t>(model_offset);
  h.model_bytes = static_cast<uint32_t>(model_bytes);
  h.tokenizer_offset = static_cast<uint32_t>(tokenizer_offset);
  h.tokenizer_bytes = static_cast<uint32_t>(tokenizer_bytes);
  return h;
}

void encode_container_header(const ContainerHeader& h, uint8_t out[kContainerHeaderBytes]) {
  memset(out, 0, kContainerHeaderBytes);
  memcpy(out, kMagic, sizeof(kMagic));
  write_u32(out + 8, h.version);
  write_u32(out + 12, h.header_bytes);
  write_u32(out + 16, h.total_bytes);
  write_u32(out + 20, h.model_offset);
  write_u32(out + 24, h.model_bytes);
  write_u32(out + 28, h.tokenizer_offset);
  write_u32(out + 32, h.tokenizer_bytes);
  write_u32(out + 36, h.model_crc32);
  write_u32(out + 40, h.tokenizer_crc32);
  write_u32(out + kHeaderCrcOffset, crc32({out, kHeaderCrcOffset}));
}

}  // namespace llmcu
