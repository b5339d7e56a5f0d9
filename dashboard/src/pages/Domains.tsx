export function Domains() {
  return (
    <section>
      <h1>Domains</h1>
    </section>
  );
}
