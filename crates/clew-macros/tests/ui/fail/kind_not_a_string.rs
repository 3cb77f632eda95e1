#[clew::trace(kind = server)]
fn handle() {}

fn main() {
    handle();
}
