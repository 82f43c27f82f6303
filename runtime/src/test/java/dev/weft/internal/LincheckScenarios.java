package dev.weft.internal;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;

/**
 * Hand-written Lincheck scenarios from Java (Lincheck's scenario DSL takes Kotlin function references): the races a
 * structure's correctness hinges on, checked first and always, before the randomly generated scenarios.
 */
public final class LincheckScenarios {
    private LincheckScenarios() {}

    /** An operation of {@code test} (by name; the operations are not overloaded) with its arguments. */
    public static Actor actor(Class<?> test, String operation, Object... args) {
        for (Method m : test.getMethods()) {
            if (m.getName().equals(operation) && m.getParameterCount() == args.length) {
                return new Actor(m, Arrays.asList(args));
            }
        }
        throw new IllegalArgumentException("no operation " + operation + "/" + args.length + " in " + test);
    }

    /** A scenario: the initial part, the threads of the parallel part, the post part. */
    public static ExecutionScenario scenario(List<Actor> initial, List<List<Actor>> parallel, List<Actor> post) {
        return new ExecutionScenario(initial, parallel, post, null);
    }

    /** A scenario with no initial or post part. */
    public static ExecutionScenario parallel(List<List<Actor>> threads) {
        return scenario(List.of(), threads, List.of());
    }
}
