// llmcu: command-line front end. Each subcommand registers itself (cmd_*.cpp);
// this parses, runs the chosen one and turns how it ended into the exit
// status: 0 success, 1 an input that cannot be used, 2 wrong usage.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <new>

#include "cli.h"

namespace {

int run(int argc, char** argv) {
  using namespace llmcu::cli;
  CLI::App app{"llmcu: Llama-architecture language models on microcontrollers and the host"};
  app.require_subcommand(1);
  const Registration commands[] = {
      register_run(app),    register_bench(app),    register_gen_random(app),
      register_encode(app), register_inspect(app),  register_plan(app),
      register_pack(app),   register_quantize(app), register_eval(app),
  };
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  for (const Registration& command : commands) {
    if (*command.subcommand) return command.run().finish();
  }
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // Commands report errors as values; this is the last line for anything a
  // library throws (std::bad_alloc, std::system_error): a message, exit 1.
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    fputs("error: out of memory\n", stderr);
  } catch (const std::exception& e) {
    fprintf(stderr, "error: %s\n", e.what());
  } catch (...) {
    fputs("error: unexpected failure\n", stderr);
  }
  return llmcu::cli::kExitBadInput;
}
