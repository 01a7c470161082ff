// yolo_v1: the command-line app around minidl's YOLOv1 (see docs/yolo_v1_conventions.md).
// Subcommands: generate, check-dataset, train, detect, eval, overfit, demo; each one's code is in
// yolo_v1_lib (a file of its own), and cli.cpp registers their options, so this file only parses
// and runs the subcommand given.
// Bad input ends in one line naming the file, line or option, and a non-zero exit status. Under
// `mpirun -np N yolo_v1 train` only rank 0 prints (an error is printed by the rank that meets it).
#include <minidl/minidl.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>

#include "apps/common/training_run.h"
#include "apps/yolo_v1/cli.h"
#include "apps/yolo_v1/run_dir.h"

int main(int argc, char** argv) {
  yolo::Cli cli;
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.app().exit(e);
  }
  const yolo::Subcommand& sub = cli.chosen();
  const bool tty = ::isatty(STDOUT_FILENO) == 1;
  try {
    if (cli.commands().threads > 0) minidl::set_num_threads(cli.commands().threads);
    if (sub.distributed) {  // a world of one unless mpirun (or srun) started several of us
      minidl::dist::init();
      minidl_apps::quiet_unless_rank0();  // errors still reach stderr from every rank
    }
    const minidl::Device device = yolo::parse_device(sub.device ? *sub.device : "cpu");
    // stdout carries nothing but the data when a command prints data there (detect --json)
    std::fprintf(sub.data_on_stdout && *sub.data_on_stdout ? stderr : stdout, "%s\n",
                 minidl::runtime_summary(device).c_str());
    std::fflush(stdout);
    return sub.run({std::cout, std::cerr, tty});
  } catch (const std::exception& e) {
    if (tty) std::printf("\n");  // leave a progress line in place
    std::fflush(stdout);
    std::fprintf(stderr, "yolo_v1: %s\n", e.what());
    return 1;
  }
}
