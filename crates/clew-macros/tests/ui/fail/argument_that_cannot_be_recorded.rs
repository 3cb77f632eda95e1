struct Secret;

#[clew::trace(args(secret))]
fn unlock(secret: Secret) {
    let _ = secret;
}

fn main() {
    unlock(Secret);
}
