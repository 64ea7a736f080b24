// Build step: writes twoway.yaml(5) from twowayd's table of configuration keys.
// usage: twoway-config-page VERSION DATE OUTPUT
#include <cstdio>
#include <fstream>
#include <iostream>

#include "daemon/config_man.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: twoway-config-page VERSION DATE OUTPUT\n";
    return 64;
  }
  std::ofstream out(argv[3], std::ios::binary | std::ios::trunc);
  out << twoway::daemon::config_manual_page(argv[1], argv[2]);
  out.close();
  if (!out) {
    std::cerr << "twoway-config-page: cannot write " << argv[3] << "\n";
    std::remove(argv[3]);
    return 73;
  }
  return 0;
}
