trait Service {
    #[clew::trace]
    fn call(&self) -> u8;
}

fn main() {}
