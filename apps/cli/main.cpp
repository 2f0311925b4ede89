// llmcu: command-line front end. Each subcommand registers itself (cmd_*.cpp);
// this parses, runs the chosen one and turns how it ended into the exit
// status: 0 success, 1 an input that cannot be used (or output that could not
// be written), 2 wrong usage.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include "cli.h"
#include "signals.h"

namespace {

using namespace llmcu::cli;

// A standard stream the caller closed (`>&-`) would be reused by the next
// open(), and printf would write into a model or output file. Each gets
// /dev/null instead, opened read-only: reading it gives nothing, writing to
// it fails like writing to a closed stream, and the check below reports it.
void keep_standard_streams_apart() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0) return;
    if (null != fd) {
      dup2(null, fd);
      close(null);
    } else {
      fcntl(fd, F_SETFD, 0);
    }
  }
}

// Every command's output ends up here: if standard output could not take it
// (a full disk, /dev/full, a closed stream), that is a failure, exit 1.
int check_standard_output(int code) {
  errno = 0;
  std::cout.flush();
  const bool failed = fflush(stdout) != 0 || ferror(stdout) || !std::cout.good();
  if (!failed) return code;
  const int err = errno != 0 ? errno : EIO;
  if (code == kExitOk) {
    fprintf(stderr, "error: cannot write to standard output: %s\n", strerror(err));
  }
  return code == kExitOk ? kExitBadInput : code;
}

int run(int argc, char** argv) {
  CLI::App app{"llmcu: Llama-architecture language models on microcontrollers and the host"};
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text(),
                       "print the version, git revision, kernels "
                       "and compiler");
  const Registration commands[] = {
      register_run(app),      register_chat(app),    register_bench(app), register_gen_random(app),
      register_encode(app),   register_inspect(app), register_plan(app),  register_pack(app),
      register_quantize(app), register_eval(app),
  };
  // CLI11 says only "A subcommand is required" for `llmcu genrate`.
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const Registration& command : commands) {
      known = known || command.subcommand->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + command.subcommand->get_name();
    }
    if (!known) {
      fprintf(stderr,
              "llmcu: unknown command '%s' (commands: %s)\nRun with --help for more "
              "information.\n",
              argv[1], names.c_str());
      return kExitUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
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
  keep_standard_streams_apart();
  install_signal_handlers();
  // Commands report errors as values; this is the last line for anything a
  // library throws (std::bad_alloc, std::system_error): a message, exit 1.
  int code = kExitBadInput;
  try {
    code = run(argc, argv);
  } catch (const std::bad_alloc&) {
    fputs("error: out of memory\n", stderr);
  } catch (const std::exception& e) {
    fprintf(stderr, "error: %s\n", e.what());
  } catch (...) {
    fputs("error: unexpected failure\n", stderr);
  }
  return check_standard_output(code);
}
