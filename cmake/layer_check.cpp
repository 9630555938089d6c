// Linked with one layer's whole archive and only the layers it may use (CMakeLists.txt):
// the link fails if that layer calls into a layer above it.
int main() { return 0; }
