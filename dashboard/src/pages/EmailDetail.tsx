export function EmailDetail() {
  return (
    <section>
      <h1>Email</h1>
    </section>
  );
}
