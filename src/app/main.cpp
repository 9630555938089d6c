// presenced: a real-time record presence server. See README.md.

#include "app/application.hpp"
#include "app/config.hpp"

int main(int argc, char** argv) {
  using presenced::app::CommandLine;
  CommandLine cl = presenced::app::parse_command_line(argc, argv);
  switch (cl.action) {
    case CommandLine::Action::exit: return cl.exit_code;
    case CommandLine::Action::token: return presenced::app::print_token(cl.token);
    case CommandLine::Action::serve: return presenced::app::serve(cl.serve);
  }
  return 2;
}
