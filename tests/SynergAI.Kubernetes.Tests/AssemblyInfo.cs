// One test at a time: the trace test compares live timing with the simulator and is sensitive to CPU contention on a
// 2-core machine; the executor tests take seconds in all.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
