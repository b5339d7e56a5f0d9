export function ApiKeys() {
  return (
    <section>
      <h1>API keys</h1>
    </section>
  );
}
