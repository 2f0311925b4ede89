// The cache size `llmcu bench` weighs a model's weights against.
#include "cpu_caches.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

class CpuCaches : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(testing::TempDir()) /
           ("cpu_caches_" +
            std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void add(int index, const std::string& type, const std::string& size) {
    const fs::path d = dir_ / ("index" + std::to_string(index));
    fs::create_directories(d);
    std::ofstream(d / "type") << type << "\n";
    std::ofstream(d / "size") << size << "\n";
  }

  fs::path dir_;
};

TEST_F(CpuCaches, TheLargestDataOrUnifiedCacheCounts) {
  add(0, "Data", "32K");
  add(1, "Instruction", "64M");  // larger, but never holds weights
  add(2, "Unified", "512K");
  add(3, "Unified", "32768K");
  EXPECT_EQ(llmcu::host::largest_cache_bytes_in(dir_.c_str()), 32ull << 20);
}

TEST_F(CpuCaches, UnitsAndPlainBytes) {
  add(0, "Unified", "2M");
  EXPECT_EQ(llmcu::host::largest_cache_bytes_in(dir_.c_str()), 2ull << 20);
  add(1, "Unified", "3145728");
  EXPECT_EQ(llmcu::host::largest_cache_bytes_in(dir_.c_str()), 3ull << 20);
}

TEST_F(CpuCaches, NothingListedIsZero) {
  EXPECT_EQ(llmcu::host::largest_cache_bytes_in(dir_.c_str()), 0u);
  EXPECT_EQ(llmcu::host::largest_cache_bytes_in((dir_ / "absent").c_str()), 0u);
  add(0, "Data", "garbage");
  EXPECT_EQ(llmcu::host::largest_cache_bytes_in(dir_.c_str()), 0u);
}

}  // namespace
