// llmcu gen-random, bench and --threads as a user runs them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace llmcu::test {
namespace {

std::string models() {
  return shared_dir() + "/models";
}

std::string temp_path(const std::string& name) {
  return testing::TempDir() + "/llmcu_" + std::to_string(getpid()) + "_" + name;
}

TEST(CliBench, GenRandomWritesALoadableCheckpoint) {
  const std::string out = temp_path("tiny.bin");
  CommandResult r = run_cli("gen-random " + shell_quote(out) + " --shape 64,172,2,8,4,512,64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dim 64, hidden 172, 2 layers, 8 heads, 4 kv heads"), std::string::npos)
      << r.out;
  r = run_cli("inspect " + shell_quote(out));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Same seed, same bytes; another seed, other bytes.
  const std::string again = temp_path("tiny2.bin"), other = temp_path("tiny3.bin");
  ASSERT_EQ(run_cli("gen-random " + shell_quote(again) + " --shape 64,172,2,8,4,512,64").exit_code,
            0);
  ASSERT_EQ(run_cli("gen-random " + shell_quote(other) + " --shape 64,172,2,8,4,512,64 --seed 9")
                .exit_code,
            0);
  EXPECT_EQ(read_file(out), read_file(again));
  EXPECT_NE(read_file(out), read_file(other));
  // A random model runs, with the same text on any number of threads.
  const std::string run = "run " + shell_quote(out) + " -z " +
                          shell_quote(models() + "/tok512.bin") + " -t 0 -n 40 -i Once";
  CommandResult one = run_cli(run + " --threads 1");
  CommandResult three = run_cli(run + " --threads 3");
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, three.out);
  remove(out.c_str());
  remove(again.c_str());
  remove(other.c_str());
}

TEST(CliBench, GenRandomRejectsBadShapes) {
  EXPECT_EQ(run_cli("gen-random " + shell_quote(temp_path("x.bin")) + " --shape 7M").exit_code, 2);
  EXPECT_EQ(
      run_cli("gen-random " + shell_quote(temp_path("x.bin")) + " --shape 65,172,2,8,4,512,64")
          .exit_code,
      2);  // dim not divisible by heads
}

TEST(CliBench, BenchReportsJson) {
  CommandResult r = run_cli("bench " + shell_quote(models() + "/stories260K.bin") + " -z " +
                            shell_quote(models() + "/tok512.bin") +
                            " --threads 2 --prompt-tokens 4 --gen-tokens 8 --repeat 2 --json "
                            "--no-bandwidth");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["threads"], 2);
  EXPECT_GT(j["decode_tok_s"].get<double>(), 0.0);
  EXPECT_GT(j["prefill_tok_s"].get<double>(), 0.0);
  EXPECT_GT(j["ttft_ms"].get<double>(), 0.0);
  EXPECT_GT(j["peak_rss_bytes"].get<long>(), 0);
  EXPECT_GT(j["weight_bytes_per_token"].get<long>(), 1000000);
}

TEST(CliBench, BenchRejectsMoreTokensThanTheContext) {
  CommandResult r = run_cli("bench " + shell_quote(models() + "/stories260K.bin") + " -z " +
                            shell_quote(models() + "/tok512.bin") +
                            " --prompt-tokens 500 --gen-tokens 100 --no-bandwidth");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("exceed the context"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace llmcu::test
