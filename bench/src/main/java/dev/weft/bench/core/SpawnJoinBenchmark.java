package dev.weft.bench.core;

import dev.weft.TaskScope;
import dev.weft.Weft;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** Placeholder until the benchmark work lands: spawn and join of N trivial children on Weft. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class SpawnJoinBenchmark {
    @Param("10000")
    int children;

    @Benchmark
    public int weft() {
        return Weft.run(Weft.options().handleSigint(false), () -> TaskScope.run(scope -> {
            for (int i = 0; i < children; i++) {
                scope.spawn(() -> 1);
            }
            return children;
        }));
    }
}
