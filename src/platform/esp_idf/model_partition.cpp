#include "model_partition.h"

#include <cstdio>

#include "esp_err.h"
#include "esp_partition.h"
#include "llmcu/container.h"

namespace llmcu::platform {
namespace {

Status map_failed(const char* label, size_t bytes, esp_err_t err) {
  return Status::error(StatusCode::kIoError,
                       "partition '%s': mapping %lu bytes failed: %s (the 32 MiB data address "
                       "space is shared with PSRAM and the app's rodata)",
                       label, static_cast<unsigned long>(bytes), esp_err_to_name(err));
}

}  // namespace

Result<MappedPartition> map_model_partition(const char* label) {
  const esp_partition_t* part =
      esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, label);
  if (part == nullptr) {
    return Status::error(StatusCode::kIoError,
                         "no data partition labelled '%s' (see partitions.csv and "
                         "CONFIG_LLMCU_MODEL_PARTITION)",
                         label);
  }
  if (part->encrypted) {
    // esp_partition_mmap would return decrypted data, but the container is
    // flashed as plain text (esptool_py_flash_to_partition, ALWAYS_PLAINTEXT).
    return Status::error(StatusCode::kUnsupported,
                         "partition '%s' is marked encrypted; the model container is flashed "
                         "unencrypted",
                         label);
  }

  MappedPartition mapped;
  mapped.label = part->label;
  snprintf(mapped.name, sizeof(mapped.name), "partition '%s'", part->label);

  // The header alone first: it says how much to map.
  const void* ptr = nullptr;
  esp_partition_mmap_handle_t handle = 0;
  esp_err_t err =
      esp_partition_mmap(part, 0, kContainerHeaderBytes, ESP_PARTITION_MMAP_DATA, &ptr, &handle);
  if (err != ESP_OK) return map_failed(label, kContainerHeaderBytes, err);
  Result<ContainerHeader> header = parse_container_header(
      {static_cast<const uint8_t*>(ptr), kContainerHeaderBytes}, mapped.name);
  esp_partition_munmap(handle);
  if (!header.is_ok()) return header.status();
  if (header->total_bytes > part->size) {
    return Status::error(StatusCode::kInvalidFormat,
                         "partition '%s' is %lu bytes but its container says %lu: the partition "
                         "is too small or the flash holds an older, larger container",
                         label, static_cast<unsigned long>(part->size),
                         static_cast<unsigned long>(header->total_bytes));
  }

  err = esp_partition_mmap(part, 0, header->total_bytes, ESP_PARTITION_MMAP_DATA, &ptr, &handle);
  if (err != ESP_OK) return map_failed(label, header->total_bytes, err);
  mapped.address = part->address;
  mapped.partition_size = part->size;
  mapped.container = {static_cast<const uint8_t*>(ptr), header->total_bytes};
  mapped.handle = handle;
  return mapped;
}

void unmap_model_partition(MappedPartition* partition) {
  if (partition->container.data() != nullptr) esp_partition_munmap(partition->handle);
  partition->container = {};
}

}  // namespace llmcu::platform
