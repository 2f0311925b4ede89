// llmcu gen-random, bench and --threads as a user runs them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
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
  // Each test starts from position 0: 500 + 100 fit a 512-position context.
  CommandResult r = run_cli("bench " + shell_quote(models() + "/stories260K.bin") +
                            " --prompt-tokens 500 --gen-tokens 100 --repeat 1 --no-bandwidth");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = run_cli("bench " + shell_quote(models() + "/stories260K.bin") +
              " --prompt-tokens 600 --no-bandwidth");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--prompt-tokens 600 exceeds the context of 512"), std::string::npos)
      << r.err;
}

// llama-bench's conventions: tests pp512 and tg128 by default, t/s as mean ±
// sd over the repetitions, a markdown table; JSON says null for what was not
// measured.
TEST(CliBench, LlamaBenchConventions) {
  const std::string model = shell_quote(models() + "/stories260K.bin");
  CommandResult r = run_cli("bench " + model + " --repeat 2 --json --no-bandwidth");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["tests"].size(), 2u);
  EXPECT_EQ(j["tests"][0]["name"], "pp512");
  EXPECT_EQ(j["tests"][1]["name"], "tg128");
  EXPECT_EQ(j["tests"][1]["samples_ts"].size(), 2u);
  EXPECT_TRUE(j["tests"][1]["stddev_ts"].is_number());
  EXPECT_TRUE(j["measured_read_bandwidth_gb_s"].is_null()) << r.out;
  EXPECT_TRUE(j["bandwidth_fraction"].is_null()) << r.out;
  EXPECT_EQ(j["decode_tok_s"], j["tests"][1]["avg_ts"]);

  // One repetition has no standard deviation.
  r = run_cli("bench " + model +
              " --repeat 1 --prompt-tokens 32 --gen-tokens 16 -o json "
              "--no-bandwidth");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["tests"][0]["name"], "pp32");
  EXPECT_EQ(j["tests"][1]["name"], "tg16");
  EXPECT_TRUE(j["tests"][1]["stddev_ts"].is_null()) << r.out;

  r = run_cli("bench " + model +
              " --repeat 2 --prompt-tokens 64 --gen-tokens 32 -o md "
              "--no-bandwidth --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("| model | size | params | kernels | threads | test | t/s |\n", 0), 0u)
      << r.out;
  EXPECT_NE(r.out.find("| stories260K.bin | "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" | 1 | pp64 | "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" | 1 | tg32 | "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" ± "), std::string::npos) << r.out;
}

// What a decode step reads: the weights, and the KV cache of the positions
// before it (on average over tgN from position 0).
TEST(CliBench, BytesPerTokenCountTheKvCache) {
  const std::string model = shell_quote(models() + "/stories260K.bin");
  const CommandResult r = run_cli("bench " + model +
                                  " --repeat 1 --prompt-tokens 8 --gen-tokens 16 --json "
                                  "--no-bandwidth");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  // Keys and values: 2 x 5 layers x kv_dim 32 x 4 bytes a position, 17/2
  // positions on average.
  EXPECT_EQ(j["kv_cache_bytes_per_token"], 2 * 5 * 32 * 4 * 17 / 2) << r.out;
  EXPECT_EQ(j["bytes_per_token"].get<uint64_t>(),
            j["weight_bytes_per_token"].get<uint64_t>() + 10880u);
}

// Weights larger than the cache: the bandwidth is measured after each
// decode, and the fraction is the median of each decode against its own.
TEST(CliBench, WeightsFromDramAreHeldToABandwidthMeasuredEachTime) {
  const std::string model = shell_quote(models() + "/stories260K.bin");
  const CommandResult r = run_cli("bench " + model +
                                  " --repeat 3 --prompt-tokens 8 --gen-tokens 64 --threads 1 "
                                  "--cache-bytes 4K --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["measured_read_bandwidth_samples_gb_s"].size(), 3u) << r.out;
  std::vector<double> fractions;
  for (int i = 0; i < 3; ++i) {
    fractions.push_back(j["bytes_per_token"].get<double>() *
                        j["tests"][1]["samples_ts"][i].get<double>() /
                        (j["measured_read_bandwidth_samples_gb_s"][i].get<double>() * 1e9));
  }
  std::sort(fractions.begin(), fractions.end());
  // The JSON rounds tok/s and GB/s to two decimals.
  EXPECT_NEAR(j["bandwidth_fraction"].get<double>(), fractions[1], 0.01 * fractions[1]) << r.out;

  for (const char* bad : {"abc", "0", "-3", "1T"}) {
    const CommandResult e = run_cli("bench " + model + " --cache-bytes " + bad);
    EXPECT_EQ(e.exit_code, 2) << bad;
    EXPECT_NE(e.err.find("--cache-bytes: '" + std::string(bad) + "' is not a byte count"),
              std::string::npos)
        << e.err;
  }
}

// A model of a megabyte is read from the caches: its implied bandwidth is
// never shown as a share of DRAM's; no "1 threads"; the values line up.
TEST(CliBench, SmallModelsAreServedFromCache) {
  CommandResult r = run_cli("bench " + shell_quote(models() + "/stories260K.bin") +
                            " --repeat 1 --prompt-tokens 16 --gen-tokens 16 --threads 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("1 threads"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("% of the measured"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cache"), std::string::npos) << r.out;
  size_t column = std::string::npos;
  size_t begin = 0;
  while (begin < r.out.size()) {
    const size_t end = r.out.find('\n', begin);
    const std::string line = r.out.substr(begin, end - begin);
    const size_t colon = line.find(':');
    const size_t value = line.find_first_not_of(' ', colon + 1);
    if (column == std::string::npos) column = value;
    EXPECT_EQ(value, column) << line;
    begin = end + 1;
  }
}

}  // namespace
}  // namespace llmcu::test
