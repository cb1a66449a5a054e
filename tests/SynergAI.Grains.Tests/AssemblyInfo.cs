// The two collections (the shared two-silo cluster and the fault cluster) run one after the other: the live DL-FH
// trace test compares real dispatch timing with the simulator and is sensitive to CPU contention on a 2-core machine;
// the fault tests only add ~3 s.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
