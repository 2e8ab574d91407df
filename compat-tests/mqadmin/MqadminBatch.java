import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs many mqadmin commands in one JVM (JVM start-up is most of a command's cost): each stdin
 * line is one command, its arguments separated by tabs. Before each command it prints
 * "@@@ BEGIN <n>", after it "@@@ END <n>"; stderr (where mqadmin prints a failed command's stack
 * trace) is merged into stdout so the output of one command stays together.
 * Launched as a single-file source program: java -cp <rocketmq-tools classpath> MqadminBatch.java
 */
public class MqadminBatch {
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        System.setOut(out);
        System.setErr(out);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int n = 0;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) continue;
            if (line.startsWith("#sleep ")) {
                Thread.sleep(Long.parseLong(line.substring(7).trim()));
                continue;
            }
            out.println("@@@ BEGIN " + n);
            try {
                freshCommands();
                org.apache.rocketmq.tools.command.MQAdminStartup.main0(line.split("\t"), null);
            } catch (Throwable t) {
                t.printStackTrace(out);
            }
            out.flush();
            out.println("@@@ END " + n);
            n++;
        }
        out.flush();
        System.exit(0);
    }

    /**
     * main0 registers new SubCommand instances each call but looks commands up first-match in a static
     * list, so without this the first instance would be reused; some (sendMessage) keep a client that
     * cannot be started twice. The list is `subCommandList` in 4.9.8 and `SUB_COMMANDS` in 5.3.3.
     */
    private static void freshCommands() throws Exception {
        for (java.lang.reflect.Field f : org.apache.rocketmq.tools.command.MQAdminStartup.class.getDeclaredFields()) {
            if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) && java.util.List.class.isAssignableFrom(f.getType())) {
                f.setAccessible(true);
                ((java.util.List<?>) f.get(null)).clear();
            }
        }
    }
}
